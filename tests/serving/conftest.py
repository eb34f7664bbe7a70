"""Fixtures shared by the serving tests: a real registry and a real server subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CRMML = str(Path(sys.executable).with_name("crmml"))
KEY = "test-key-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``crmml serve`` subprocess in its own process group (killed as a group)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            [CRMML, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args],
            env=env,
            cwd=log.parent,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.text()}")

    def text(self) -> str:
        self._fh.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self._fh.close()


def server_env(tmp: Path, tracking_uri: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMML_", "MLFLOW_"))}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        CRMML_HOME=str(tmp / "home"),
        BENTOML_HOME=str(tmp / "bentoml"),
        BENTOML_DO_NOT_TRACK="true",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("registry")
    return tmp, f"sqlite:///{tmp / 'mlflow.db'}"


@pytest.fixture(scope="session")
def churn_store(tmp_path_factory) -> tuple[Path, str]:
    """A registry with one churn champion (v1), shared read-only by the non-server tests."""
    from tests.serving.registry_fixture import register

    tmp = tmp_path_factory.mktemp("churn-registry")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    register(uri, task="churn", seed=0)
    return tmp, uri


@pytest.fixture(scope="session")
def churn_champion(churn_store):
    from serving.champion import load_champion
    from serving.config import ServingConfig

    return load_champion(ServingConfig(), task="churn", tracking_uri=churn_store[1])
