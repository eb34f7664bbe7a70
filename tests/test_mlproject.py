"""``mlflow run . -e train`` runs the same ``crmml train`` as the CLI (MLproject)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

REPO = Path(__file__).resolve().parents[1]
MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def _write_training_set():
    # The synthetic builder of the training tests (a conftest is not importable by name).
    path = REPO / "tests" / "training" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_training_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_training_set


def test_entry_points_call_the_cli():
    project = yaml.safe_load((REPO / "MLproject").read_text(encoding="utf-8"))
    points = project["entry_points"]
    assert {"demo_data", "validate", "features", "train", "main"} <= set(points)
    for point in points.values():
        assert point["command"].startswith("crmml ")
    assert "crmml train --task {task}" in points["train"]["command"]
    for step in ("crmml demo-data", "crmml validate", "crmml features", "crmml train"):
        assert step in points["main"]["command"]


@pytest.mark.slow
def test_mlflow_run_train(tmp_path):
    features = _write_training_set()(tmp_path / "features", rows_per_snapshot=60)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # Other tests in this worker may leave MLflow's run/experiment variables behind; `mlflow
    # run` refuses an experiment id and name together, so start from a clean MLflow env.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env = {
        **inherited,
        "MLFLOW_TRACKING_URI": uri,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    proc = subprocess.run(
        [
            MLFLOW,
            "run",
            str(REPO),
            "-e",
            "train",
            "--env-manager",
            "local",
            "--experiment-name",
            "crmml-churn",
            "-P",
            "task=churn",
            "-P",
            f"features={features}",
            "-P",
            "trials=1",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    client = MlflowClient(uri)
    mv = client.get_model_version_by_alias("crm-churn", "challenger")
    run = client.get_run(mv.run_id)
    # the project's run is the job's parent run: params of both, trials as children
    assert run.data.tags["mlflow.project.entryPoint"] == "train"
    assert run.data.params["task"] == "churn" and "test_roc_auc" in run.data.metrics
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == 3
