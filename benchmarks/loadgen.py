"""Load generation for ``benchmarks/serving.py``: server subprocesses, wrk or aiohttp."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

KEY = "bench-key"


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
        ["wrk", "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency", "--timeout", "30s",
         "-s", str(script), url],
        capture_output=True, text=True, timeout=duration + 60, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(total.group(1)) if total else 0,
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
        "requests": len(lat),
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "errors": errors,
        "socket_errors": "",
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its children (server workers)."""
    import psutil

    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def drain(url: str, body: bytes) -> None:
    """Wait out the requests wrk left queued, so the next run starts on an idle server."""
    import httpx

    headers = {"Content-Type": "application/json", "X-API-Key": KEY}
    httpx.post(url, content=body, headers=headers, timeout=300)
