import os
import socket
import time

import pytest
from mlflow import MlflowClient

from crmml.errors import CrmmlError
from training.tracking import (
    artifact_location,
    ensure_reachable,
    fail_fast_http,
    get_or_create_experiment,
    log_batch,
    resolve_tracking_uri,
)


def test_env_uri_wins(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://example.invalid:5000")
    assert resolve_tracking_uri() == "http://example.invalid:5000"


def test_default_is_sqlite_in_workdir(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert artifact_location(resolve_tracking_uri()) == (tmp_path / "mlartifacts").as_uri()
    assert not (tmp_path / "mlflow.db").exists()  # resolving creates nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_fast():
    start = time.monotonic()
    with pytest.raises(CrmmlError, match="unreachable"):
        ensure_reachable(f"http://127.0.0.1:{_free_port()}", timeout=2)
    assert time.monotonic() - start < 5


def test_missing_sqlite_folder(tmp_path):
    with pytest.raises(CrmmlError, match="does not exist"):
        ensure_reachable(f"sqlite:///{tmp_path / 'nope' / 'mlflow.db'}")


def test_unreachable_postgres_names_uri_without_password():
    uri = f"postgresql://u:secret@127.0.0.1:{_free_port()}/db"
    with pytest.raises(CrmmlError) as err:
        ensure_reachable(uri, timeout=2)
    assert "secret" not in str(err.value) and "unreachable" in str(err.value)


def test_fail_fast_env_is_restored(monkeypatch):
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    with fail_fast_http(timeout=7):
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] in ("7", os.environ.get("X", "7"))
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ


def test_experiment_and_batch_logging(tmp_path, store_uri):
    uri = store_uri
    client = MlflowClient(uri)
    exp = get_or_create_experiment(client, "crmml-churn", tracking_uri=uri)
    assert get_or_create_experiment(client, "crmml-churn", tracking_uri=uri) == exp
    assert client.get_experiment(exp).artifact_location == (tmp_path / "mlartifacts").as_uri()
    run = client.create_run(exp)
    params = {f"p{i}": i for i in range(120)}  # over one batch (100 params): MLflow chunks it
    log_batch(
        client,
        run.info.run_id,
        params={**params, "b": None},
        metrics={"auc": 0.7},
        tags={"t": "x"},
    )
    data = client.get_run(run.info.run_id).data
    assert len(data.params) == 121 and data.params["b"] == "None" and data.metrics == {"auc": 0.7}
    assert data.tags["t"] == "x"


def test_frame_schema_equals_mlflows_own_inference():
    import numpy as np
    import pandas as pd
    from mlflow.types.utils import _infer_schema

    from training.run_log import frame_schema

    frame = pd.DataFrame(
        {
            "full": np.arange(6, dtype="float64"),
            "gaps": [1.0, np.nan, 3.0, np.nan, 5.0, 6.0],
            "text": pd.array(["a", "b", None, "a", "c", "b"], dtype="string"),
            "label": np.array([0, 1, 0, 1, 0, 1], dtype="int64"),
            "as_of": pd.to_datetime(["2025-01-01"] * 6),
        }
    )
    assert frame_schema(frame) == _infer_schema(frame)
    assert frame_schema(frame.head(0)) == _infer_schema(frame.head(0))
