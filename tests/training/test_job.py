import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from crmml.errors import CrmmlError
from training import TrainConfig, split_frame, train_task
from training.config import LeakageConfig, TuningConfig

FAST = TrainConfig(tuning=TuningConfig(trials=2))


def _versions(uri, name="crm-churn"):
    client = MlflowClient(uri)
    try:
        return client.search_model_versions(f"name='{name}'")
    except Exception:
        return []


def test_train_logs_registers_and_rebuilds_test_set(features_dir, tracking):
    result = train_task(task="churn", features_dir=features_dir, config=FAST, seed=1)
    client = MlflowClient(tracking)
    run = client.get_run(result.run_id)
    for part in ("valid", "test"):
        for key in ("roc_auc", "pr_auc", "log_loss", "brier", "positive_rate"):
            assert f"{part}_{key}" in run.data.metrics
    tags = run.data.tags
    assert tags["crmml.test_as_of"] == "2025-12-31" and tags["crmml.time_based"] == "true"
    assert tags["crmml.git_commit"]
    assert run.data.params["test_rows"] == "120"
    # the family choice is one of the tuned ones, with trials as child runs
    children = client.search_runs(
        [result.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert len(children) == 6 and result.family in ("scorecard", "tree", "lgbm")
    # lineage, feature descriptions, split and config are on the run
    assert {i.dataset.name for i in run.inputs.dataset_inputs} == {
        "churn-train",
        "churn-valid",
        "churn-test",
    }
    assert all(i.dataset.digest == "0000" + "ab" * 14 for i in run.inputs.dataset_inputs)
    arts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"split.json", "features", "config", "leakage.json"} <= arts
    split = mlflow.artifacts.load_dict(f"runs:/{result.run_id}/split.json")
    _, _, test = split_frame(pd.read_parquet(features_dir / "churn.parquet"), None, split)
    assert len(test) == 120
    # registered with tags and the challenger alias; loads as a pyfunc on real columns
    mv = client.get_model_version_by_alias("crm-churn", "challenger")
    assert str(mv.version) == result.model_version
    assert {"task", "as_of", "data_hash", "family", "feature_version"} <= set(mv.tags)
    assert mv.tags["family"] == result.family
    model = mlflow.pyfunc.load_model("models:/crm-churn@challenger")
    assert "sensitive__gender" not in model.metadata.get_input_schema().input_names()
    proba = model.predict(test.drop(columns=["label"]).head(20))
    assert ((proba > 0) & (proba < 1)).all()


def test_same_seed_same_metrics(features_dir, tracking):
    cfg = TrainConfig(families=("scorecard", "lgbm"), tuning=TuningConfig(trials=2))
    a = train_task(task="churn", features_dir=features_dir, config=cfg, seed=4)
    b = train_task(task="churn", features_dir=features_dir, config=cfg, seed=4)
    assert a.metrics == b.metrics and a.family == b.family
    assert [v.version for v in _versions(tracking)] != []
    assert MlflowClient(tracking).get_model_version_by_alias(
        "crm-churn", "challenger"
    ).version == int(b.model_version)


def test_random_split_is_labelled_not_time_based(tmp_path, make_features, tracking):
    out = make_features(tmp_path / "f", split="random", task="lead_score")
    result = train_task(task="lead_score", features_dir=out, config=FAST, families=["tree"])
    run = MlflowClient(tracking).get_run(result.run_id)
    assert run.data.tags["crmml.time_based"] == "false"
    assert "not time-based" in run.data.tags["mlflow.note.content"]
    assert result.model_name == "crm-lead-score"


def test_leak_stops_before_training_without_registry_change(tmp_path, make_features, tracking):
    out = make_features(tmp_path / "f", leak=True)
    with pytest.raises(CrmmlError) as err:
        train_task(task="churn", features_dir=out, config=FAST)
    assert "cancelled_flag" in err.value.lines()[0] and "ROC AUC" in err.value.lines()[0]
    assert _versions(tracking) == []
    allowed = TrainConfig(
        tuning=TuningConfig(trials=1),
        families=("scorecard",),
        leakage=LeakageConfig(allow=("cancelled_flag",)),
    )
    result = train_task(task="churn", features_dir=out, config=allowed)
    assert result.allowed_leaks == ["cancelled_flag"]


def test_after_outcome_columns_are_dropped(tmp_path, make_features, tracking):
    out = make_features(tmp_path / "f", after_outcome=True)
    result = train_task(task="churn", features_dir=out, config=FAST, families=["scorecard"])
    params = MlflowClient(tracking).get_run(result.run_id).data.params
    assert "refund_after" not in params["feature_names"]
    assert params["dropped_after_outcome"] == "refund_after"


def test_unreachable_server_changes_nothing(features_dir, monkeypatch, tracking):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    with pytest.raises(CrmmlError, match="unreachable"):
        train_task(task="churn", features_dir=features_dir, config=FAST)
    assert _versions(tracking) == []


def test_bad_inputs_fail_before_any_run(tmp_path, make_features, tracking):
    with pytest.raises(CrmmlError, match="unknown task"):
        train_task(task="upsell", features_dir=tmp_path, config=FAST)
    single = make_features(tmp_path / "s", single_class=True)
    with pytest.raises(CrmmlError, match="one class"):
        train_task(task="churn", features_dir=single, config=FAST)
    assert MlflowClient(tracking).search_experiments(filter_string="name LIKE 'crmml-%'") == []


def test_sensitive_columns_only_when_allowed(features_dir, tracking):
    cfg = TrainConfig(families=("scorecard",), tuning=TuningConfig(trials=1), allow_sensitive=True)
    result = train_task(task="churn", features_dir=features_dir, config=cfg, timeout=60)
    params = MlflowClient(tracking).get_run(result.run_id).data.params
    assert "sensitive__gender" in params["feature_names"].split(",")
    assert params["timeout"] == "60.0"
