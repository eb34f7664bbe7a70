"""Where the time of ``crmml features`` goes: wall time, kernel time and page faults per phase.

Usage::

    .venv/bin/python benchmarks/features_phases.py --customers 200000 --scale-to 1000000

Generates both sizes with ``benchmarks/features.py`` (same data as its scaling check), then
builds each in a fresh process with the build's stage functions timed on the main thread, and
prints every phase at both sizes and its ratio: a phase whose ratio is above the customer ratio
is what makes the whole build worse than linear. Kernel time and page faults are the
process's (all threads) while the phase ran; on a VM, fresh pages are what costs kernel time.
``--workdir DIR`` keeps the generated tables in ``DIR/<customers>`` for the next run.

``--gate`` runs the whole command instead: the data-quality gate over the Parquet files
(its rules timed too), then the build. Each timed build follows an untimed one of the same
size, as in ``benchmarks/features.py`` (``--no-warm-up``: none); see there why.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This folder holds `features.py`, which would shadow the `features` package: keep it off the path.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from crmml.memory import keep_freed_arrow_memory, share_one_malloc_arena  # noqa: E402 - stdlib

keep_freed_arrow_memory()  # as the `crmml` command does, before pyarrow loads
share_one_malloc_arena()  # and before any thread allocates

BENCHMARK = Path(__file__).resolve().parent / "features.py"
PHASES = (
    ("features.build", "prepare"),
    ("features.build", "_pseudonyms"),
    ("features.labels", "eligible"),
    ("features.labels", "labels"),
    ("features.build", "customer_features"),
    ("features.build", "lead_features"),
    ("features.output", "TrainingSetWriter.add"),
    ("features.output", "TrainingSetWriter.scoring"),
    ("features.build", "_id_maps"),
    ("features.output", "TrainingSetWriter.commit"),
)
GATE_PHASES = (
    ("features.quality", "ingest"),
    ("features.quality", "check_keys"),
    ("features.quality_checks", "LeftOut.drop"),
    ("features.quality", "merge_duplicate_customers"),
    ("features.quality_merge", "rewrite_customer_ids"),
    ("features.quality", "check_references"),
    ("features.quality_references", "_look_up"),
    ("features.quality", "check_clean_tables"),
)


def _instrument(totals: dict[str, list[float]], phases=PHASES) -> None:
    """Wrap each phase function so its calls on the main thread add to ``totals``."""
    import importlib
    import threading

    for module_name, qualname in phases:
        owner = importlib.import_module(module_name)
        *path, attr = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, attr)

        def timed(*args, _fn=fn, _name=qualname, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return _fn(*args, **kwargs)
            before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                after = resource.getrusage(resource.RUSAGE_SELF)
                row = totals.setdefault(_name, [0.0, 0.0, 0.0])
                row[0] += time.perf_counter() - t0
                row[1] += after.ru_stime - before.ru_stime
                row[2] += (after.ru_minflt - before.ru_minflt) * resource.getpagesize() / 2**20

        setattr(owner, attr, timed)


def phase_build(folder: Path, gate: bool = False) -> dict:
    """One instrumented build of ``folder/tables`` (run in a fresh process); with ``gate``,
    the quality gate over the files first, timed with the build."""
    from datetime import date

    import pandas as pd

    from crmml.memory import reuse_freed_memory

    totals: dict[str, list[float]] = {}
    _instrument(totals, PHASES + GATE_PHASES if gate else PHASES)
    from features.build import build_training_sets
    from features.exports import Exports
    from features.quality import load_clean_exports

    as_of = date(2026, 6, 30)
    if not gate:
        paths = sorted((folder / "tables").glob("*.parquet"))
        exports = Exports(
            tables={p.stem: pd.read_parquet(p) for p in paths}, as_of=as_of, file_hashes={},
            quality={},
        )  # fmt: skip
    before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with reuse_freed_memory():  # as the command: the build reuses what the gate frees
        if gate:
            exports = load_clean_exports(folder / "tables", as_of=as_of)
        build_training_sets(exports, out=folder / "out", snapshots=12, every="1M",
                            key=b"benchmark")  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_SELF)
    faults = (after.ru_minflt - before.ru_minflt) * resource.getpagesize() / 2**20
    total = [time.perf_counter() - t0, after.ru_stime - before.ru_stime, faults]
    return {"phases": totals, "total": total}


def _generate(customers: int, folder: Path) -> None:
    if (folder / "tables").is_dir():
        return
    cmd = [sys.executable, str(BENCHMARK), "--phase", "generate"]
    cmd += ["--customers", str(customers), "--workdir", str(folder)]
    subprocess.run(cmd, check=True, capture_output=True)


def _build(folder: Path, *, gate: bool, warm_up: bool) -> dict:
    # features.py is loaded by its path: its folder is off the import path (see above).
    spec = importlib.util.spec_from_file_location("features_benchmark", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    cmd = [sys.executable, __file__, "--build", str(folder)] + (["--gate"] if gate else [])
    if warm_up:
        benchmark.run_json(cmd, f"warm-up build of {folder}")
    return benchmark.run_json(cmd, f"build of {folder}")


def _report(sizes: list[int], results: list[dict]) -> None:
    names = [q for _, q in GATE_PHASES + PHASES if any(q in r["phases"] for r in results)]
    head = "".join(f"{f'{n:,}':>26}" for n in sizes)
    print(f"{'phase':28}{head}  (wall s / kernel s / faulted MB)")
    rows = [(n, [r["phases"].get(n, [0.0, 0.0, 0.0]) for r in results]) for n in names]
    rows.append(("whole command" if "ingest" in names else "whole build",
                 [r["total"] for r in results]))  # fmt: skip
    for name, values in rows:
        cells = "".join(f"{w:9.2f} {k:6.2f} {mb:8,.0f}  " for w, k, mb in values)
        small, big = values[0][0], values[-1][0]
        ratio = f"  x{big / small:.2f}" if len(values) > 1 and small else ""
        print(f"{name:28}{cells}{ratio}")
    if len(sizes) > 1:
        print(f"customer ratio x{sizes[-1] / sizes[0]:.2f}: a phase above it grows faster")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200_000)
    p.add_argument("--scale-to", type=int, default=None, help="also N customers; compare")
    p.add_argument("--workdir", default=None, help="keep generated tables here")
    p.add_argument("--gate", action="store_true", help="time the quality gate and its rules too")
    p.add_argument("--warm-up", action=argparse.BooleanOptionalAction, default=True,
                   help="an untimed build of the same size before each timed one")  # fmt: skip
    p.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.build:
        print(json.dumps(phase_build(args.build, gate=args.gate)))
        return
    sizes = [args.customers] + ([args.scale_to] if args.scale_to else [])
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.workdir or tmp)
        folders = [base / str(n) for n in sizes]
        for n, folder in zip(sizes, folders, strict=True):
            _generate(n, folder)
        _report(sizes, [_build(f, gate=args.gate, warm_up=args.warm_up) for f in folders])


if __name__ == "__main__":
    main()
