import json

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from training.config import SplitConfig
from training.data import load_training_set
from training.split import describe_split, plan_split, settled_before_validation, split_frame


def test_time_split_orders_snapshots(features_dir):
    ts = load_training_set(features_dir, task="churn")
    meta = plan_split(ts.frame, kind="time")
    train, valid, test = split_frame(ts.frame, ts.task_manifest, meta)
    assert train["as_of"].max() < valid["as_of"].min()
    assert valid["as_of"].max() < test["as_of"].min()
    assert test["as_of"].nunique() == 1 and test["as_of"].max() == ts.frame["as_of"].max()
    assert len(meta["train"]) == 9 and len(meta["valid"]) == 2 and meta["test"] == ["2025-12-31"]
    assert meta["rows"] == {"train": 1080, "valid": 240, "test": 120}
    assert "2025-12-31" in describe_split(meta)


def test_rebuild_from_recorded_meta_is_exact(features_dir):
    ts = load_training_set(features_dir, task="churn")
    meta = json.loads(json.dumps(plan_split(ts.frame, kind="time")))  # as stored on the run
    again = split_frame(pd.read_parquet(features_dir / "churn.parquet"), ts.task_manifest, meta)
    first = split_frame(ts.frame, ts.task_manifest, meta)
    for a, b in zip(first, again, strict=True):
        assert a["entity_id"].tolist() == b["entity_id"].tolist()


def test_few_snapshots_shrink_validation_then_fail(tmp_path, make_features):
    out = make_features(tmp_path / "f", snapshots=3)
    ts = load_training_set(out, task="churn")
    meta = plan_split(ts.frame, kind="time", config=SplitConfig(valid_snapshots=2))
    assert (len(meta["train"]), len(meta["valid"]), len(meta["test"])) == (1, 1, 1)
    out2 = make_features(tmp_path / "g", snapshots=2)
    with pytest.raises(CrmmlError, match="at least 3 snapshot dates"):
        plan_split(load_training_set(out2, task="churn").frame, kind="time")


def test_random_split_uses_split_column(tmp_path, make_features):
    out = make_features(tmp_path / "f", split="random")
    ts = load_training_set(out, task="churn")
    meta = plan_split(ts.frame, kind=ts.split_kind)
    train, valid, test = split_frame(ts.frame, ts.task_manifest, meta)
    assert meta["time_based"] is False
    assert set(train["split"]) == {"train"} and set(test["split"]) == {"test"}
    assert "NOT time-based" in describe_split(meta)


def test_random_split_without_column(features_dir):
    ts = load_training_set(features_dir, task="churn")
    with pytest.raises(CrmmlError, match="column 'split'"):
        plan_split(ts.frame, kind="random")


def test_tuning_rows_are_settled_before_validation(features_dir):
    ts = load_training_set(features_dir, task="churn")
    meta = plan_split(ts.frame, kind="time")
    train, _, _ = split_frame(ts.frame, ts.task_manifest, meta)
    settled = settled_before_validation(train, meta, 90)
    # Month-end snapshots, 90-day windows: the last two training months reach validation.
    first_valid = pd.Timestamp(meta["valid"][0])
    ends = train["as_of"] + pd.Timedelta(days=90)
    assert settled.tolist() == (ends <= first_valid).tolist()
    assert train["as_of"][settled].nunique() == len(meta["train"]) - 2
    assert settled_before_validation(train, meta, None).all()


def test_no_settled_rows_fall_back_to_all_training_rows(features_dir):
    ts = load_training_set(features_dir, task="churn")
    meta = plan_split(ts.frame, kind="time")
    train, _, _ = split_frame(ts.frame, ts.task_manifest, meta)
    assert settled_before_validation(train, meta, 3650).all()
    random = {"kind": "random", "column": "split"}
    assert settled_before_validation(train, random, 90).all()
