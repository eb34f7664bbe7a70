import json

from evaluation.config import BootstrapConfig, EvalConfig
from evaluation.evaluate import evaluate_predictions
from evaluation.policy import load_policy


def test_report_json_is_complete_and_strict_json(scored):
    r = evaluate_predictions(
        scored.y,
        scored.p,
        config=EvalConfig(bootstrap=BootstrapConfig(rounds=30)),
        policy=load_policy(),
        task="churn",
        sensitive=scored.sens,
        features=scored.X,
        contributions=scored.contributions,
        raw_score=scored.raw,
        feature_specs=scored.specs,
        evaluation_note="not time-based",
    )
    json.dumps(r, allow_nan=False)  # no NaN / numpy scalars left
    for key in (
        "task",
        "model",
        "operating_point",
        "evaluation_note",
        "overall",
        "calibration",
        "gains",
        "business",
        "champion_comparison",
        "explanations",
        "fairness",
        "mitigation",
        "model_card",
        "gate",
    ):
        assert key in r
    auc = r["overall"]["roc_auc"]
    assert auc["ci_low"] < auc["value"] < auc["ci_high"]
    assert r["operating_point"]["method"] == "capacity"
    assert r["fairness"]["proxies"] and r["gate"]["verdict"] in ("pass", "fail")
    for s in r["explanations"]["reasons_sample"]:
        for reason in s["reasons"]:
            assert "sensitive" not in reason["feature"]


def test_without_sensitive_or_explanations(scored):
    r = evaluate_predictions(
        scored.y,
        scored.p,
        config=EvalConfig(bootstrap=BootstrapConfig(rounds=0)),
        policy=load_policy(),
        task="lead_score",
    )
    assert r["fairness"] is None and r["explanations"] is None
    assert r["overall"]["roc_auc"]["ci_low"] is None
