"""Benchmark of ``crmml features``: quality gate + 12-snapshot build vs one pandas groupby.

Usage::

    .venv/bin/python benchmarks/features.py --customers 200000
    .venv/bin/python benchmarks/features.py --customers 1000000
    .venv/bin/python benchmarks/features.py --scale-to 1000000     # linear scaling check

Each build does what ``crmml features --raw DIR`` does with the generated export folder:
the data-quality gate (read the Parquet files, type, check and clean them, merge duplicate
customers), then the point-in-time build of every task. It prints the whole command's time
and its two parts, the gate and the build.

``--scale-to N`` generates both sizes, then builds them in alternation (``--rounds`` times
each, every build in a fresh process) and compares the medians: the command (and each part)
at N customers should take no more than N / --customers times as long. Alternating keeps both
sizes under the same machine conditions; single runs on a VM vary by several percent. It also
prints how the plain groupby baseline scaled in the same builds: on a VM where a hash table of
a million ids no longer fits the caches, that pass alone grows several times faster than
linear.

Each timed build follows an untimed warm-up build of the same size (``--no-warm-up``: none).
On a VM that hands freed memory back to its host (virtio-balloon free page reporting, as on
the development machines), the first touch of a page costs a host fault, unless the page was
freed a moment ago: a build then runs faster after a bigger one than after a smaller one or
an idle pause. Plain alternation gave every small build the warm memory of the big build just
before it, and every big build mostly cold memory (kernel time of the whole build process,
200k customers: 0.7-1.1 s right after a 1M build, 2.8 s after 30 s idle; 1M customers:
7.2-7.4 s right after a 1M build, 11-18 s after a 200k build or an idle pause). With a
warm-up, each timed build starts from the memory its own size left, so the ratio compares
the work, not the order of the runs. The kernel (system) time of each timed build is printed
with its wall time.

Data: the sample generator's canonical tables (``features.sample.build_tables``, same event
volume as ``crmml demo-data``) as Parquet files; without the generator, a minimal vectorised
orders/customers generator. Each phase runs in a fresh process so its peak RSS
(``ru_maxrss``) is the command's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# This file is named like the `features` package; drop its folder from the import path so
# `import features` finds the package, not this script.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from crmml.memory import keep_freed_arrow_memory, share_one_malloc_arena  # noqa: E402 - stdlib

keep_freed_arrow_memory()  # as the `crmml` command does, before pyarrow loads
share_one_malloc_arena()  # and before any thread allocates

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

AS_OF = date(2026, 6, 30)
EVENT_TABLES = ("orders", "activities", "tickets", "campaign_events", "subscriptions")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _canonical(name: str, df: pd.DataFrame) -> pd.DataFrame:
    from features.contract import TABLES
    from features.dates import to_calendar_dates

    spec = TABLES[name]
    out = {}
    for col in spec.columns:
        if col.name not in df:
            continue
        s = df[col.name]
        if col.kind == "date":
            out[col.name] = to_calendar_dates(s, tz="Asia/Shanghai")[0]
        elif col.kind == "number":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif col.kind == "bool":
            out[col.name] = s.astype("boolean")
        else:
            out[col.name] = s.astype("string")
    return pd.DataFrame(out)


def _sample_tables(customers: int, seed: int) -> dict[str, pd.DataFrame]:
    from features.sample import build_tables
    from features.sample.timeline import to_day

    end = to_day(AS_OF)
    tables, _ = build_tables(
        customers=customers, seed=seed, start=end - 3 * 365, as_of=end, drift=None
    )
    return {n: _canonical(n, df) for n, df in tables.items()}


def _minimal_tables(customers: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.arange(customers).astype(str))
    n_orders = rng.poisson(12, customers)
    owner = np.repeat(np.arange(customers), n_orders)
    day = np.datetime64(AS_OF, "D") - rng.integers(0, 3 * 365, len(owner)).astype("timedelta64[D]")
    orders = pd.DataFrame(
        {
            "order_id": pd.array(
                np.char.add("O", np.arange(len(owner)).astype(str)), dtype="string"
            ),
            "customer_id": pd.array(ids[owner], dtype="string"),
            "order_date": day.astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 500.0, len(owner)),
            "product_category": pd.array(
                rng.choice(["a", "b", "c", "d"], len(owner)), dtype="string"
            ),
            "status": pd.array(
                rng.choice(["paid", "paid", "paid", "refunded"], len(owner)), dtype="string"
            ),
        }
    )
    created = np.datetime64(AS_OF, "D") - rng.integers(0, 4 * 365, customers).astype(
        "timedelta64[D]"
    )
    cust = pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="string"),
            "created_at": created.astype("datetime64[us]"),
        }
    )
    return {"customers": cust, "orders": orders}


def phase_generate(args) -> dict:
    t0 = time.perf_counter()
    try:
        tables, source = _sample_tables(args.customers, args.seed), "features.sample"
    except ImportError:
        tables, source = _minimal_tables(args.customers, args.seed), "minimal"
    folder = Path(args.workdir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    rows = {n: len(df) for n, df in tables.items()}
    return {"generator": source, "rows": rows, "seconds": time.perf_counter() - t0}


def phase_build(args) -> dict:
    """What ``crmml features --raw DIR`` does, timed: the data-quality gate (reading, typing,
    checking and cleaning the files, merging duplicate customers), then the build."""
    import pyarrow.parquet as pq

    from crmml.memory import reuse_freed_memory
    from features.build import build_training_sets
    from features.quality import load_clean_exports

    folder = Path(args.workdir) / "tables"
    events = sum(
        pq.ParquetFile(folder / f"{t}.parquet").metadata.num_rows
        for t in EVENT_TABLES
        if (folder / f"{t}.parquet").is_file()
    )
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    with reuse_freed_memory():  # as the command: the build reuses what the gate frees
        t0 = time.perf_counter()
        exports = load_clean_exports(folder, as_of=AS_OF)
        gate_s = time.perf_counter() - t0
        loaded_mb = _peak_mb()
        t0 = time.perf_counter()
        manifest = build_training_sets(
            exports,
            out=Path(args.workdir) / "out",
            snapshots=args.snapshots,
            every="1M",
            key=b"benchmark-key",
        )
        build_s = time.perf_counter() - t0
    build_peak_mb = _peak_mb()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    orders = exports.tables["orders"]
    t0 = time.perf_counter()
    orders.groupby("customer_id").agg(
        orders=("order_id", "size"), spend=("amount", "sum"), last=("order_date", "max")
    )
    baseline_s = time.perf_counter() - t0
    return {
        "events": int(events),
        "orders": len(orders),
        "gate_seconds": gate_s,
        "build_seconds": build_s,
        "command_seconds": gate_s + build_s,
        "command_kernel_seconds": cpu1.ru_stime - cpu0.ru_stime,
        "baseline_groupby_seconds": baseline_s,
        "rss_after_gate_mb": loaded_mb,
        "peak_rss_mb": build_peak_mb,
        "rows": {t: i["rows"] for t, i in manifest["tasks"].items()},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200_000)
    p.add_argument("--snapshots", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", default=None, help="default: a temporary folder")
    p.add_argument("--phase", choices=["generate", "build"], help=argparse.SUPPRESS)
    p.add_argument("--scale-to", type=int, default=None, help="also N customers; compare")
    p.add_argument("--rounds", type=int, default=3, help="builds per size with --scale-to")
    p.add_argument(
        "--warm-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --scale-to, an untimed build of the same size before each timed one",
    )
    args = p.parse_args()
    if args.phase:
        fn = phase_generate if args.phase == "generate" else phase_build
        print(json.dumps(fn(args)))
        return
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    if args.scale_to:
        _scaling(args)
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        res = {phase: _run(phase, args, args.customers, work) for phase in ("generate", "build")}
    g, b = res["generate"], res["build"]
    print(
        f"customers            {args.customers:,} ({g['generator']}, generated in "
        f"{g['seconds']:.1f} s)"
    )
    print(f"event rows           {b['events']:,} (orders {b['orders']:,})")
    print(
        f"crmml features       {b['command_seconds']:.2f} s: quality gate (read, check, clean, "
        f"merge) {b['gate_seconds']:.2f} s + build {b['build_seconds']:.2f} s for "
        f"{args.snapshots} snapshots + scoring, all tasks -> {b['rows']}"
    )
    print(
        f"events/s             {b['events'] / b['command_seconds']:,.0f} whole command, "
        f"{b['events'] / b['build_seconds']:,.0f} build "
        f"(x{args.snapshots} snapshots: {b['events'] * args.snapshots / b['build_seconds']:,.0f})"
    )
    print(f"baseline groupby     {b['baseline_groupby_seconds']:.2f} s (one pass over orders)")
    print(f"ratio build/baseline {b['build_seconds'] / b['baseline_groupby_seconds']:.1f}x")
    print(
        f"peak RSS             {b['peak_rss_mb']:,.0f} MB "
        f"(after the quality gate: {b['rss_after_gate_mb']:,.0f} MB)"
    )


def _run(phase: str, args, customers: int, work: str) -> dict:
    """One phase in a fresh process (so its peak RSS is its own); its JSON result."""
    common = ["--customers", str(customers), "--snapshots", str(args.snapshots)]
    common += ["--seed", str(args.seed), "--workdir", work]
    cmd = [sys.executable, __file__, "--phase", phase, *common]
    return run_json(cmd, f"{phase} ({customers:,} customers)")


def run_json(cmd: list[str], what: str) -> dict:
    """Run ``cmd`` in a fresh process and return the JSON its last output line holds; exit
    with its error output, naming ``what``, when it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"{what} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _scaling(args) -> None:
    """Both sizes generated once, then built alternately; medians and their ratio."""
    sizes = (args.customers, args.scale_to)
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        folders = {n: str(Path(work) / str(n)) for n in sizes}
        for n in sizes:
            _run("generate", args, n, folders[n])
        runs: dict[int, list[dict]] = {n: [] for n in sizes}
        for _ in range(args.rounds):
            for n in sizes:
                if args.warm_up:  # leaves the memory state of this size (see the docstring)
                    _run("build", args, n, folders[n])
                runs[n].append(_run("build", args, n, folders[n]))
    how = "each after a warm-up build of its size" if args.warm_up else "no warm-up builds"
    print(f"{args.rounds} timed builds per size, alternating, {how}")
    small, big = sizes
    events = {n: runs[n][0]["events"] for n in sizes}
    for n in sizes:
        peak = max(r["peak_rss_mb"] for r in runs[n])
        print(f"{n:>9,} customers  {events[n]:,} event rows, peak RSS {peak:,.0f} MB")
    for what, key in (("crmml features", "command_seconds"), ("  quality gate", "gate_seconds"),
                      ("  build", "build_seconds")):  # fmt: skip
        median = {n: statistics.median(r[key] for r in runs[n]) for n in sizes}
        for n in sizes:
            seconds = ", ".join(f"{r[key]:.2f}" for r in runs[n])
            if key == "command_seconds":
                kernel = ", ".join(f"{r['command_kernel_seconds']:.1f}" for r in runs[n])
                seconds += f"; kernel time {kernel}"
            print(
                f"{what:16} {n:>9,}: median {median[n]:6.2f} s (runs in order {seconds}), "
                f"{events[n] / median[n]:,.0f} events/s"
            )
        ratio = median[big] / median[small]
        pairs = [b[key] / s[key] for s, b in zip(runs[small], runs[big], strict=True)]
        print(
            f"{what:16} time ratio {ratio:.2f}x for {big / small:.2f}x the customers "
            f"({events[big] / events[small]:.2f}x the events): "
            + ("no worse than linear" if ratio <= big / small else "worse than linear")
            + f"; per-round ratios {', '.join(f'{r:.2f}' for r in pairs)}"
        )
    # The same machine's scaling of the plain groupby: a hash-table pass over the orders, as
    # cache- and fault-bound at a million customers as the build's id lookups are.
    base = {n: statistics.median(r["baseline_groupby_seconds"] for r in runs[n]) for n in sizes}
    print(
        f"baseline groupby     {base[small]:.2f} s -> {base[big]:.2f} s, ratio "
        f"{base[big] / base[small]:.2f}x on this machine in the same run (context, not a target)"
    )


if __name__ == "__main__":
    main()
