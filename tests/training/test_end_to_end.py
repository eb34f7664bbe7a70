"""Sample export -> `crmml features` -> `crmml train`, through the real CLI."""

from __future__ import annotations

import importlib.util

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from crmml.cli import app


@pytest.mark.slow
def test_demo_data_to_registered_model(tmp_path, tracking):
    if importlib.util.find_spec("features.build") is None:
        pytest.skip("the feature builder (features.build) is not available")
    runner = CliRunner()
    raw, out = tmp_path / "raw", tmp_path / "features"
    for args in (
        ["demo-data", "--out", str(raw), "--customers", "400", "--seed", "7"],
        ["features", "--raw", str(raw), "--out", str(out), "--no-progress"],
        [
            "train",
            "--task",
            "churn",
            "--features",
            str(out),
            "--trials",
            "1",
            "--families",
            "scorecard,lgbm",
        ],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{args[0]}: {result.output}"
    mv = MlflowClient(tracking).get_model_version_by_alias("crm-churn", "challenger")
    assert mv.tags["data_hash"] != "unknown"
    scoring = pd.read_parquet(out / "churn.scoring.parquet")
    proba = mlflow.pyfunc.load_model("models:/crm-churn@challenger").predict(scoring.head(10))
    assert len(proba) == min(10, len(scoring))
