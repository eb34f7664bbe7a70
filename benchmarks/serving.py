"""Benchmark serving: ``crmml serve`` against ``mlflow models serve`` and BentoML's ceiling.

Usage::

    .venv/bin/python benchmarks/serving.py --duration 15 --connections 16

Builds a churn-like LightGBM model (``--trees`` trees) in a tmp SQLite registry
(``crm-churn@champion``), then starts, one at a time, each on a free 127.0.0.1 port with one
worker: (a) ``mlflow models serve``, (b) ``crmml serve`` with reasons, (c) the same server with
``"explain": false`` in the body, (d) ``benchmarks/empty_service.py`` (a BentoML endpoint that
only parses the same body). Each gets the same single-record load (wrk if installed, else an
aiohttp client) at ``--connections`` connections for ``--duration`` seconds, then 1,000
records per request. Last, ``crmml score`` over ``--rows`` rows against a bare
``Booster.predict`` over the same (already encoded) rows.
Targets on 2 cores: (b) >= 2x (a), (c) >= 3x (a) in requests/s; (c) >= 0.8x (d); (c) p50 <=
25 ms and p99 <= 2x (d)'s; crmml score >= 80% of Booster.predict's rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the `serving` package: keep its folder off the import path.
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
BIN = Path(sys.executable).parent
KEY = "bench-key"
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A server subprocess in its own process group; ``stop`` kills the group."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready_path: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_path, self.log = ready_path, log
        args = [a.replace("{port}", str(self.port)) for a in args]
        self.proc = subprocess.Popen(
            args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.log.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.log.name} not ready after {timeout}s")

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                return
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def load(url: str, body: bytes, *, duration: float, connections: int, work: Path) -> dict:
    """Drive ``url`` with POSTs of ``body``: requests/s, p50 and p99 (ms), non-2xx count."""
    if shutil.which("wrk"):
        return _wrk(url, body, duration=duration, connections=connections, work=work)
    import asyncio

    return asyncio.run(_aiohttp(url, body, duration=duration, connections=connections))


def _wrk(url: str, body: bytes, *, duration: float, connections: int, work: Path) -> dict:
    script = work / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-API-Key"] = "{KEY}"\n',
        encoding="utf-8",
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency", "--timeout", "10s",
         "-s", str(script), url],
        capture_output=True, text=True, timeout=duration + 60, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": (int(errors.group(1)) if errors else 0),
        "socket_errors": sock.group(1) if sock else "",
    }


async def _aiohttp(url: str, body: bytes, *, duration: float, connections: int) -> dict:
    import aiohttp
    import numpy as np

    latencies: list[float] = []
    errors = 0
    headers = {"Content-Type": "application/json", "X-API-Key": KEY}
    stop_at = time.perf_counter() + duration

    async def worker(session):
        nonlocal errors
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                errors += resp.status != 200
            latencies.append(time.perf_counter() - start)

    conn = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=conn) as session:
        import asyncio

        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        elapsed = time.perf_counter() - start
    lat = np.array(latencies) * 1000
    return {
        "rps": len(lat) / elapsed,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "errors": errors,
        "socket_errors": "",
    }


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
        proc = Proc(cmd, server_env, tmp / f"server-{name}.log", ready)
        try:
            proc.wait_ready()
            for label, body, n in runs:
                load(proc.url + route, body, duration=1, connections=2, work=tmp)  # warm-up
                r = load(
                    proc.url + route,
                    body,
                    duration=args.duration,
                    connections=args.connections,
                    work=tmp,
                )
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
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "crmml"), "score", "--task", "churn", "--input", str(src), "--out", str(out),
         "--no-tags"],
        env={**env, "CRMML_HOME": str(tmp / "home")}, check=True, capture_output=True,
        timeout=1800,
    )  # fmt: skip
    cli = time.perf_counter() - start
    encoded = pipe.named_steps["encode"].transform(df[list(NUMERIC + CATEGORICAL)])
    booster = pipe.named_steps["model"].booster_
    timings = {}
    for threads in (0, 1):  # 0: LightGBM's default (all cores); 1: what a server worker uses
        start = time.perf_counter()
        booster.predict(encoded, num_threads=threads)
        timings[threads] = time.perf_counter() - start
    return {"cli_s": cli, "booster_s": timings[0], "booster_1t_s": timings[1]}


def _fmt(r: dict) -> str:
    extra = f"  non-2xx {r['errors']}" if r["errors"] else ""
    extra += f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""
    return (
        f"{r['rps']:9.1f} req/s  {r['records_per_s']:10.0f} records/s  "
        f"p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms{extra}"
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
        f"{score['booster_1t_s']:.2f} s with 1 thread"
    )
    print("\ntargets:")
    for label, value, target in checks:
        verdict = "met" if value >= target else "MISSED"
        print(f"  {label:38s} {value:6.2f} (>= {target}) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for crmml score")
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
        score = bench_score(args, tmp, env, pipe)
        _report(results, score, args.rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
