"""The job against real tracking stores: an ``mlflow server`` over HTTP, and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from training import TrainConfig, train_task
from training.config import TuningConfig

FAST = TrainConfig(families=("scorecard", "lgbm"), tuning=TuningConfig(trials=2))
MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"mlflow server did not answer {url} within {timeout} s")


@pytest.fixture
def mlflow_server(tmp_path, empty_store):
    """A real ``mlflow server`` (SQLite backend) on a free port; killed after the test."""
    db = tmp_path / "server.db"
    db.write_bytes(empty_store.read_bytes())  # skip the migrations (already applied)
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            MLFLOW,
            "server",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--default-artifact-root",
            str(tmp_path / "server-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{uri}/health", proc)
        yield uri
    finally:
        # the server runs uvicorn workers in its own session: stop the whole group
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _train_and_check(uri, features_dir, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    try:
        result = train_task(task="churn", features_dir=features_dir, config=FAST)
        client = MlflowClient(uri)
        mv = client.get_model_version_by_alias("crm-churn", "challenger")
        assert str(mv.version) == result.model_version and mv.tags["task"] == "churn"
        run = client.get_run(result.run_id)
        assert run.data.metrics["test_roc_auc"] == result.metrics["test_roc_auc"]
        assert (
            len(
                client.search_runs(
                    [result.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
                )
            )
            == 4
        )
        model = mlflow.pyfunc.load_model("models:/crm-churn@challenger")
        assert model.metadata.get_input_schema() is not None
    finally:
        mlflow.set_tracking_uri(None)
    return result


@pytest.mark.slow
def test_train_against_mlflow_server(mlflow_server, features_dir, monkeypatch):
    result = _train_and_check(mlflow_server, features_dir, monkeypatch)
    assert result.tracking_uri == mlflow_server


def _postgres_up() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ):
            return True
    except Exception:
        return False


@pytest.fixture
def postgres_uri():
    """A fresh PostgreSQL database (local server, trust auth), dropped after the test."""
    import psycopg

    if not _postgres_up():
        clusters = (
            sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
        )
        if clusters:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"],
                capture_output=True,
                timeout=60,
            )
            for _ in range(20):
                if _postgres_up():
                    break
                time.sleep(0.5)
        if not _postgres_up():
            pytest.skip(
                "PostgreSQL is not running on 127.0.0.1:5432 and could not be started "
                "with pg_ctlcluster"
            )
    name = f"crmml_test_{uuid.uuid4().hex[:10]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.postgres
def test_train_against_postgres(postgres_uri, features_dir, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # artifacts of a database store go to ./mlartifacts
    result = _train_and_check(postgres_uri, features_dir, monkeypatch)
    client = MlflowClient(postgres_uri)
    assert client.get_experiment(result.experiment_id).artifact_location == (
        (tmp_path / "mlartifacts").as_uri()
    )
