import json

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from training.data import load_training_set, model_manifest


def test_loads_and_drops_after_outcome(tmp_path, make_features):
    out = make_features(tmp_path / "f", after_outcome=True)
    ts = load_training_set(out, task="churn")
    assert "refund_after" not in ts.frame.columns
    assert ts.dropped_after_outcome == ("refund_after",)
    names = [f["name"] for f in model_manifest(ts)["features"]]
    assert "refund_after" not in names
    assert ts.frame["label"].dtype == "int64"


def test_unknown_task(features_dir):
    with pytest.raises(CrmmlError, match="unknown task 'upsell'"):
        load_training_set(features_dir, task="upsell")


def test_task_missing_from_manifest(features_dir):
    with pytest.raises(CrmmlError, match="no training set for task 'repurchase'.*churn"):
        load_training_set(features_dir, task="repurchase")


def test_missing_folder(tmp_path):
    with pytest.raises(CrmmlError, match="not found"):
        load_training_set(tmp_path / "nope", task="churn")


def test_empty_training_set(features_dir):
    path = features_dir / "churn.parquet"
    pd.read_parquet(path).iloc[:0].to_parquet(path)
    with pytest.raises(CrmmlError, match="has no rows"):
        load_training_set(features_dir, task="churn")


def test_single_class(tmp_path, make_features):
    out = make_features(tmp_path / "f", single_class=True)
    with pytest.raises(CrmmlError, match="one class only"):
        load_training_set(out, task="churn")


def test_missing_feature_column(features_dir):
    manifest = json.loads((features_dir / "manifest.json").read_text())
    manifest["tasks"]["churn"]["features"].append({"name": "ghost", "kind": "numeric"})
    (features_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CrmmlError, match="missing column.*ghost"):
        load_training_set(features_dir, task="churn")


def test_monotone_override(features_dir):
    ts = load_training_set(features_dir, task="churn")
    feats = {f["name"]: f for f in model_manifest(ts, monotone={"orders_90d": 0})["features"]}
    assert feats["orders_90d"]["monotone"] == 0
