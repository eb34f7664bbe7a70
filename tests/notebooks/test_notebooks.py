"""The notebooks run top to bottom on small data (nbclient, the .venv's python3 kernel)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]


def _write_training_set():
    # The synthetic builder of the training tests (a conftest is not importable by name).
    path = REPO / "tests" / "training" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_training_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_training_set


@pytest.mark.slow
def test_churn_exploration_runs(tmp_path, monkeypatch):
    features = _write_training_set()(tmp_path / "features", rows_per_snapshot=60)
    monkeypatch.setenv("CRMML_NOTEBOOK_FEATURES", str(features))
    monkeypatch.setenv("CRMML_NOTEBOOK_TRIALS", "2")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(REPO / "notebooks" / "01-churn-exploration.ipynb", as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "family scorecard" in text
    # exploration never registers a model
    from mlflow import MlflowClient

    assert MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").search_registered_models() == []
