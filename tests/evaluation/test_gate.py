import numpy as np
import pandas as pd

from evaluation.config import BootstrapConfig, EvalConfig
from evaluation.evaluate import evaluate_predictions
from evaluation.gate import evaluate_gate
from evaluation.policy import load_policy

CFG = EvalConfig(bootstrap=BootstrapConfig(rounds=20))


def _report(scored, policy, **kw):
    return evaluate_predictions(
        scored.y,
        scored.p,
        config=CFG,
        policy=policy,
        task="churn",
        sensitive=scored.sens[["sensitive__gender"]],
        **kw,
    )


def _by_name(gate):
    return {c["name"]: c for c in gate["checks"]}


def test_passing_model(scored, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(
        "min_roc_auc: 0.6\nmax_ece: 0.1\nmin_parity_ratio: 0.5\nmax_parity_difference: 0.2\n"
    )
    r = _report(scored, load_policy(f))
    checks = _by_name(r["gate"])
    assert checks["min_roc_auc"]["passed"] and checks["max_ece"]["passed"]
    assert r["gate"]["verdict"] == "pass", r["gate"]["failed"]


def test_biased_scores_fail_the_parity_checks(scored, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("min_roc_auc: 0.5\nmax_ece: 1\n")
    p = np.where(scored.sens["sensitive__gender"] == "F", scored.p * 0.3, scored.p)
    r = evaluate_predictions(
        scored.y,
        p,
        config=CFG,
        policy=load_policy(f),
        task="churn",
        sensitive=scored.sens[["sensitive__gender"]],
    )
    assert r["gate"]["verdict"] == "fail"
    assert "demographic_parity_ratio:gender" in r["gate"]["failed"]
    c = _by_name(r["gate"])["demographic_parity_ratio:gender"]
    assert c["value"] < 0.8 and c["threshold"] == 0.8 and "CI" in c["detail"]


def test_insufficient_groups_warn_or_fail(scored, tmp_path):
    sens = scored.sens[["sensitive__gender"]].copy()
    sens.iloc[:5, 0] = "X"  # a group of 5 rows
    f = tmp_path / "p.yaml"
    f.write_text("min_roc_auc: 0.5\nmax_ece: 1\nmin_parity_ratio: 0\nmax_parity_difference: 1\n")
    kw = dict(config=CFG, task="churn", sensitive=sens)
    warn = evaluate_predictions(scored.y, scored.p, policy=load_policy(f), **kw)["gate"]
    assert warn["verdict"] == "pass" and "insufficient_groups:gender" in warn["warnings"]
    f.write_text(f.read_text() + "insufficient_groups: fail\n")
    fail = evaluate_predictions(scored.y, scored.p, policy=load_policy(f), **kw)["gate"]
    assert fail["verdict"] == "fail" and "insufficient_groups:gender" in fail["failed"]


def test_champion_drop(scored):
    policy = load_policy()
    worse = np.clip(scored.p + np.random.default_rng(0).normal(0, 0.3, len(scored.p)), 0, 1)
    r = evaluate_predictions(
        scored.y,
        worse,
        config=CFG,
        policy=policy,
        task="churn",
        champion_score=scored.p,
        champion_version="3",
    )
    c = _by_name(r["gate"])["max_auc_drop_vs_champion"]
    assert not c["passed"] and "v3" in c["detail"]


def test_undefined_metric_never_passes():
    report = {"overall": {"roc_auc": {"value": None}, "ece": {"value": 0.01}}}
    gate = evaluate_gate(report, load_policy())
    assert gate["verdict"] == "fail" and gate["failed"] == ["min_roc_auc"]


def test_proxy_cap(scored, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("max_proxy_features: 0\n")
    X = scored.X.assign(
        title=pd.Series(np.where(scored.sens["sensitive__gender"] == "F", "Ms", "Mr"), dtype="str")
    )
    r = evaluate_predictions(
        scored.y,
        scored.p,
        config=CFG,
        policy=load_policy(f),
        task="churn",
        sensitive=scored.sens,
        features=X,
    )
    c = _by_name(r["gate"])["max_proxy_features"]
    assert not c["passed"] and "title~gender" in c["detail"]


def test_parity_judged_on_the_interval(scored, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("min_roc_auc: 0.5\nmax_ece: 1\nmax_parity_difference: 0.02\n")
    kw = dict(config=CFG, task="churn", sensitive=scored.sens[["sensitive__gender"]])
    point = evaluate_predictions(scored.y, scored.p, policy=load_policy(f), **kw)["gate"]
    c = _by_name(point)["equal_opportunity_difference:gender"]
    assert c["status"] == "fail"
    f.write_text(f.read_text() + "parity_evidence: interval\n")
    interval = evaluate_predictions(scored.y, scored.p, policy=load_policy(f), **kw)["gate"]
    c2 = _by_name(interval)["equal_opportunity_difference:gender"]
    assert "lower CI bound" in c2["detail"] and c2["value"] <= c["value"]
