"""Benchmark serving: ``crmml serve`` against ``mlflow models serve`` and BentoML's ceiling.

Usage::

    .venv/bin/python benchmarks/serving.py --duration 15 --connections 16

Builds a churn-like LightGBM model (``--trees`` trees) in a tmp SQLite registry
(``crm-churn@champion``), then starts, one at a time, each on a free 127.0.0.1 port with one
worker: (a) ``mlflow models serve``, (b) ``crmml serve`` with reasons, (c) the same server with
``"explain": false`` in the body, (d) ``benchmarks/empty_service.py`` (a BentoML endpoint that
only parses the same body). Each gets the same single-record load (wrk if installed, from
Debian's ``wrk`` package, else an aiohttp client) at ``--connections`` connections for
``--duration`` seconds, then 1,000 records per request (``--batch-connections``). Last,
``crmml score`` over ``--rows`` rows against a bare ``Booster.predict`` over the same (already
encoded) rows, measured in steady state: the CLI runs the big file twice and the second run
counts, because the first run of a new model version also compiles its trees to C (cached per
version and machine; that first run is printed too). Like any repeated ``crmml score``, these
runs start scoring with the copy of the champion kept by the run before (``$CRMML_HOME/models``)
while the registry is asked, and publish the output once the registry names the same version.
The servers run one worker each, LightGBM on one thread (as crmml serve does).
Targets on 2 cores: (b) >= 2x (a), (c) >= 3x (a) in requests/s; (c) >= 0.8x (d); (c) p50 <=
25 ms and p99 <= 2x (d)'s; crmml score >= 80% of Booster.predict's rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the `serving` package: its folder goes last on the import path
# (so `serving` is the package; `loadgen` is still found next to this file).
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
BIN = Path(sys.executable).parent

from loadgen import KEY, Proc, cpu_seconds, drain, load  # noqa: E402

NUMERIC = ("days_since_last_order", "n_orders_365d", "spend_365d", "tenure_days", "tickets_90d")
CATEGORICAL = ("plan", "region", "channel")


def churn_frame(n: int, seed: int = 0):
    """A churn-like frame (entity_id + features) and labels."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "entity_id": [f"c{i:07d}" for i in range(n)],
            "days_since_last_order": rng.exponential(90, n).round(),
            "n_orders_365d": rng.poisson(4, n).astype("float64"),
            "spend_365d": rng.gamma(2, 150, n).round(2),
            "tenure_days": rng.integers(30, 3000, n).astype("float64"),
            "tickets_90d": rng.poisson(0.5, n).astype("float64"),
            "plan": pd.array(rng.choice(["basic", "pro", "team", "enterprise"], n), dtype="str"),
            "region": pd.array(rng.choice(["north", "south", "east", "west"], n), dtype="str"),
            "channel": pd.array(rng.choice(["web", "store", "phone"], n), dtype="str"),
        }
    )
    df.loc[df.index[::23], "days_since_last_order"] = np.nan
    logit = (
        0.012 * df["days_since_last_order"].fillna(365)
        - 0.3 * df["n_orders_365d"]
        + 0.4 * df["tickets_90d"]
        - 0.0004 * df["tenure_days"]
        + 0.5 * (df["plan"] == "basic")
        - 0.5
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return df, y.to_numpy()


def build_model(uri: str, store: Path, *, trees: int):
    """Fit, log and register ``crm-churn`` (alias champion); returns the fitted pipeline."""
    import mlflow
    from mlflow import MlflowClient

    from models import FeatureSpec, make_pipeline
    from models.pyfunc import log_crm_model

    df, y = churn_frame(20_000)
    cols = list(NUMERIC + CATEGORICAL)
    spec = FeatureSpec(NUMERIC, CATEGORICAL)
    pipe = make_pipeline("lgbm", {"n_estimators": trees}, spec=spec).fit(df[cols], y)
    mlflow.set_tracking_uri(uri)
    mlflow.create_experiment("bench", artifact_location=(store / "artifacts").as_uri())
    mlflow.set_experiment("bench")
    entries = [{"name": c, "kind": "numeric", "description": c} for c in NUMERIC]
    entries += [{"name": c, "kind": "categorical", "description": c} for c in CATEGORICAL]
    meta = {"feature_version": "1", "as_of": "2026-06-30", "task": "churn"}
    with mlflow.start_run() as run:
        mlflow.log_dict({"features": entries}, "features/churn.json")
        log_crm_model(pipe, name="model", input_example=df[cols].head(5), metadata=meta)
        info = mlflow.last_logged_model()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("crm-churn")
    mv = client.create_model_version(
        "crm-churn", f"models:/{info.model_id}", run_id=run.info.run_id, tags=meta
    )
    client.set_registered_model_alias("crm-churn", "champion", mv.version)
    return pipe


def _bodies(n: int) -> tuple[bytes, bytes]:
    """(crmml/empty body, MLflow body) of ``n`` records of the same rows."""
    df, _ = churn_frame(n, seed=1)
    records = json.loads(df.to_json(orient="records"))
    features = [{k: v for k, v in r.items() if k != "entity_id"} for r in records]
    return json.dumps({"records": records}).encode(), json.dumps(
        {"dataframe_records": features}
    ).encode()


def bench_servers(args, tmp: Path, env: dict[str, str]) -> dict[str, dict]:
    """Start each server in turn, load it (1 record, then 1,000 records), stop it."""
    one, one_mlflow = _bodies(1)
    batch, batch_mlflow = _bodies(1000)
    quiet = {**json.loads(one), "explain": False}
    quiet_batch = {**json.loads(batch), "explain": False}
    crmml_env = {**env, "CRMML_API_KEYS": KEY, "CRMML_HOME": str(tmp / "home")}
    servers = {
        "a": (
            [str(BIN / "mlflow"), "models", "serve", "-m", "models:/crm-churn@champion",
             "--env-manager", "local", "-h", "127.0.0.1", "-p", "{port}", "-w", "1"],
            env, "/ping", "/invocations",
            [("a", one_mlflow, 1), ("a batch", batch_mlflow, 1000)],
        ),
        "bc": (
            [str(BIN / "crmml"), "serve", "--host", "127.0.0.1", "--port", "{port}"],
            crmml_env, "/readyz", "/predict/churn",
            [("b", one, 1), ("c", json.dumps(quiet).encode(), 1), ("b batch", batch, 1000),
             ("c batch", json.dumps(quiet_batch).encode(), 1000)],
        ),
        "d": (
            [sys.executable, "-m", "bentoml", "serve", "empty_service:EmptyService",
             "--working-dir", str(HERE), "--host", "127.0.0.1", "--port", "{port}"],
            env, "/readyz", "/predict/churn",
            [("d", one, 1), ("d batch", batch, 1000)],
        ),
    }  # fmt: skip
    results: dict[str, dict] = {}
    for name, (cmd, server_env, ready, route, runs) in servers.items():
        if args.only and name not in args.only:
            continue
        proc = Proc(cmd, server_env, tmp / f"server-{name}.log", ready)
        try:
            proc.wait_ready()
            for label, body, n in runs:
                load(proc.url + route, body, duration=1, connections=2, work=tmp)  # warm-up
                conns = args.connections if n == 1 else args.batch_connections
                cpu = cpu_seconds(proc.proc.pid)
                r = load(
                    proc.url + route, body, duration=args.duration, connections=conns, work=tmp
                )
                drain(proc.url + route, body)
                # Server CPU per request: unlike req/s, it holds when other work shares the cores.
                r["cpu_ms"] = (cpu_seconds(proc.proc.pid) - cpu) * 1000 / max(r["requests"], 1)
                r["records_per_s"] = r["rps"] * n
                results[label] = r
                print(f"  {label:8s} {_fmt(r)}", flush=True)
        finally:
            proc.stop()
    return results


def bench_score(args, tmp: Path, env: dict[str, str], pipe) -> dict[str, float]:
    """``crmml score`` (the CLI, end to end) against ``Booster.predict`` over the same rows."""
    df, _ = churn_frame(args.rows, seed=2)
    src, out = tmp / "scoring.parquet", tmp / "scored.parquet"
    df.to_parquet(src, index=False)
    df.head(1000).to_parquet(tmp / "small.parquet", index=False)

    def cli(path: Path) -> float:
        start = time.perf_counter()
        subprocess.run(
            [str(BIN / "crmml"), "score", "--task", "churn", "--input", str(path), "--out",
             str(out), "--no-tags"],
            # every core, as the baseline below (the servers above run with OMP_NUM_THREADS=1)
            env={**{k: v for k, v in env.items() if k != "OMP_NUM_THREADS"},
                 "CRMML_HOME": str(tmp / "home")}, check=True, capture_output=True,
            timeout=1800,
        )  # fmt: skip
        return time.perf_counter() - start

    fixed = cli(tmp / "small.parquet")  # start-up + registry + model load: the fixed cost
    first = cli(src)  # a new model version: its trees are compiled to C first (once, cached)
    full = cli(src)
    encoded = pipe.named_steps["encode"].transform(df[list(NUMERIC + CATEGORICAL)])
    booster = pipe.named_steps["model"].booster_
    timings = {}
    for threads in (0, 1):  # 0: LightGBM's default (all cores); 1: what a server worker uses
        start = time.perf_counter()
        booster.predict(encoded, num_threads=threads)
        timings[threads] = time.perf_counter() - start
    return {
        "cli_s": full,
        "cli_first_s": first,
        "fixed_s": fixed,
        "booster_s": timings[0],
        "booster_1t_s": timings[1],
    }


def _fmt(r: dict) -> str:
    extra = f"  non-2xx {r['errors']}" if r["errors"] else ""
    extra += f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""
    return (
        f"{r['rps']:9.1f} req/s  {r['records_per_s']:10.0f} records/s  "
        f"p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  server CPU {r['cpu_ms']:6.2f} ms/req"
        f"{extra}"
    )


def _report(res: dict, score: dict, rows: int) -> None:
    a, b, c, d = res["a"], res["b"], res["c"], res["d"]
    checks = [
        ("(b) >= 2x (a) req/s", b["rps"] / a["rps"], 2.0),
        ("(c) >= 3x (a) req/s", c["rps"] / a["rps"], 3.0),
        ("(c) >= 0.8x (d) req/s", c["rps"] / d["rps"], 0.8),
        ("(c) p50 <= 25 ms", 25.0 / c["p50"], 1.0),
        ("(c) p99 <= 2x (d) p99", 2 * d["p99"] / c["p99"], 1.0),
        ("(b) p50 <= 25 ms", 25.0 / b["p50"], 1.0),
        ("(b) p99 <= 2x (d) p99", 2 * d["p99"] / b["p99"], 1.0),
        ("batch (c) >= 20,000 records/s", res["c batch"]["records_per_s"] / 20_000, 1.0),
        ("crmml score >= 0.8x Booster.predict", score["booster_s"] / score["cli_s"], 0.8),
    ]
    print("\nratios:")
    print(f"  (b)/(a) {b['rps'] / a['rps']:.2f}  (c)/(a) {c['rps'] / a['rps']:.2f}  "
          f"(c)/(d) {c['rps'] / d['rps']:.2f}  (b)/(d) {b['rps'] / d['rps']:.2f}")  # fmt: skip
    for label in ("a", "b", "c", "d"):
        print(f"  batch {label}: {res[label + ' batch']['records_per_s']:.0f} records/s")
    print(
        f"\ncrmml score, {rows} rows: {score['cli_s']:.2f} s ({rows / score['cli_s']:.0f} rows/s, "
        f"CLI end to end); Booster.predict {score['booster_s']:.2f} s "
        f"({rows / score['booster_s']:.0f} rows/s, all cores), "
        f"{score['booster_1t_s']:.2f} s with 1 thread; the CLI on 1,000 rows (start-up, "
        f"registry, model load) takes {score['fixed_s']:.2f} s; the first run of a new model "
        f"version (compiling its trees to C once) took {score['cli_first_s']:.2f} s"
    )
    print("\ntargets:")
    for label, value, target in checks:
        verdict = "met" if value >= target else "MISSED"
        print(f"  {label:38s} {value:6.2f} (>= {target}) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--batch-connections", type=int, default=4, help="connections for 1,000-record bodies"
    )
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for crmml score")
    parser.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=None,
        help="servers to run while iterating (a,bc,d; no report then)",
    )
    parser.add_argument("--skip-score", action="store_true", help="skip the crmml score run")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="crmml-bench-serving-"))
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMML_", "MLFLOW_"))}
    env.update(
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="false",
        BENTOML_HOME=str(tmp / "bentoml"),
        BENTOML_DO_NOT_TRACK="true",
        OMP_NUM_THREADS="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # mlflow serve execs `uvicorn`
    )
    try:
        pipe = build_model(uri, tmp, trees=args.trees)
        client = "wrk" if shutil.which("wrk") else "aiohttp"
        print(f"load: {client}, {args.connections} connections, {args.duration:g} s per run")
        results = bench_servers(args, tmp, env)
        score = None if args.skip_score else bench_score(args, tmp, env, pipe)
        if score is not None:
            print(f"crmml score: {score}")
        if score is not None and not args.only:
            _report(results, score, args.rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
