import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from evaluation.config import BootstrapConfig, EvalConfig, FairnessConfig
from evaluation.fairness import INSUFFICIENT, audit_fairness

CFG = FairnessConfig(min_group_size=1, intersections=False)
BOOT = BootstrapConfig(rounds=50, chunk=20)


def _tiny():
    # A: TP 1, FN 1, FP 1, TN 1 -> selection .5, TPR .5, FPR .5
    # B: TP 2, FN 1, FP 1, TN 2 -> selection .5, TPR 2/3, FPR 1/3
    # C: no positives -> insufficient data, left out of the disparities
    y = [1, 1, 0, 0] + [1, 1, 1, 0, 0, 0] + [0, 0, 0]
    s = [0.9, 0.4, 0.6, 0.1] + [0.9, 0.8, 0.3, 0.7, 0.2, 0.1] + [0.9, 0.1, 0.2]
    g = ["A"] * 4 + ["B"] * 6 + ["C"] * 3
    return np.array(y), np.array(s), pd.DataFrame({"sensitive__grp": g})


def test_hand_computed_tiny_fixture():
    y, s, sens = _tiny()
    out = audit_fairness(y, s, sens, threshold=0.5, config=CFG, bootstrap=BOOT)
    a = out["attributes"]["grp"]
    rows = {r["group"]: r for r in a["by_group"]}
    assert rows["A"]["selection_rate"] == 0.5 and rows["A"]["tpr"] == 0.5
    assert rows["A"]["fpr"] == 0.5 and rows["A"]["precision"] == 0.5
    assert rows["B"]["tpr"] == pytest.approx(2 / 3) and rows["B"]["fpr"] == pytest.approx(1 / 3)
    assert rows["B"]["fnr"] == pytest.approx(1 / 3) and rows["B"]["base_rate"] == 0.5
    d = {k: v["value"] for k, v in a["disparities"].items()}
    assert d["demographic_parity_difference"] == pytest.approx(0.0)
    assert d["demographic_parity_ratio"] == pytest.approx(1.0)
    assert d["equal_opportunity_difference"] == pytest.approx(1 / 6)
    assert d["equal_opportunity_ratio"] == pytest.approx(0.75)
    assert d["fpr_ratio"] == pytest.approx(2 / 3)
    assert d["equalized_odds_difference"] == pytest.approx(1 / 6)
    assert d["equalized_odds_ratio"] == pytest.approx(2 / 3)


def test_group_without_positives_is_insufficient_never_pass():
    y, s, sens = _tiny()
    out = audit_fairness(y, s, sens, threshold=0.5, config=CFG, bootstrap=BOOT)
    a = out["attributes"]["grp"]
    c = next(r for r in a["by_group"] if r["group"] == "C")
    assert c["status"] == INSUFFICIENT and "no positives" in c["detail"]
    assert a["insufficient"] == ["C"] and a["groups_compared"] == ["A", "B"]


def test_small_group_is_insufficient():
    y, s, sens = _tiny()
    cfg = FairnessConfig(min_group_size=5, intersections=False)
    out = audit_fairness(y, s, sens, threshold=0.5, config=cfg, bootstrap=BOOT)
    a = out["attributes"]["grp"]
    assert set(a["insufficient"]) == {"A", "C"}
    assert a["disparities"]["demographic_parity_ratio"]["value"] is None  # one group left
    assert a["note"]


def test_point_estimates_match_metricframe(scored):
    sens = scored.sens.assign(sensitive__gender=scored.sens["sensitive__gender"].fillna("missing"))
    t = 0.5
    out = audit_fairness(
        scored.y,
        scored.p,
        sens,
        threshold=t,
        config=EvalConfig().fairness.model_copy(update={"min_group_size": 1}),
        bootstrap=BOOT,
    )
    pred = (scored.p >= t).astype(int)
    g = sens["sensitive__gender"]
    mf = MetricFrame(
        metrics={"sel": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=scored.y,
        y_pred=pred,
        sensitive_features=g,
    )
    rows = {r["group"]: r for r in out["attributes"]["gender"]["by_group"]}
    for grp, m in mf.by_group.iterrows():
        assert rows[grp]["selection_rate"] == pytest.approx(m["sel"])
        assert rows[grp]["tpr"] == pytest.approx(m["tpr"])
        assert rows[grp]["fpr"] == pytest.approx(m["fpr"])
    d = {k: v["value"] for k, v in out["attributes"]["gender"]["disparities"].items()}
    kw = dict(y_true=scored.y, y_pred=pred, sensitive_features=g)
    assert d["demographic_parity_difference"] == pytest.approx(demographic_parity_difference(**kw))
    assert d["demographic_parity_ratio"] == pytest.approx(demographic_parity_ratio(**kw))
    assert d["equalized_odds_difference"] == pytest.approx(equalized_odds_difference(**kw))
    assert d["equalized_odds_ratio"] == pytest.approx(equalized_odds_ratio(**kw))
    assert d["equal_opportunity_difference"] == pytest.approx(equal_opportunity_difference(**kw))
    ci = out["attributes"]["gender"]["disparities"]["demographic_parity_ratio"]
    assert ci["ci_low"] <= ci["ci_high"]


def test_missing_values_binning_and_intersections(scored):
    out = audit_fairness(
        scored.y, scored.p, scored.sens, threshold=0.5, config=EvalConfig(), bootstrap=BOOT
    )
    gender = out["attributes"]["gender"]
    groups = [r["group"] for r in gender["by_group"]]
    assert "missing" in groups and gender["missing"] == scored.sens.sensitive__gender.isna().sum()
    age = out["attributes"]["age"]
    assert age["binned"] and age["bins"]["edges"][:2] == [0.0, 25.0]
    assert "[25, 35)" in [r["group"] for r in age["by_group"]]
    inter = out["intersections"]["gender x age"]
    assert any(r["group"] == "F & [25, 35)" for r in inter["by_group"])
    assert out["key_metrics"][0] == "demographic_parity_ratio" and out["use"] == "assistive"


def test_punitive_use_focuses_on_fpr(scored):
    cfg = FairnessConfig(use="punitive", intersections=False)
    out = audit_fairness(
        scored.y,
        scored.p,
        scored.sens,
        threshold=0.5,
        config=cfg,
        bootstrap=BootstrapConfig(rounds=0),
    )
    assert "fpr_ratio" in out["key_metrics"]
    assert out["attributes"]["gender"]["disparities"]["fpr_ratio"]["ci_low"] is None


def test_unknown_configured_attribute_is_named(scored):
    from crmml.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        audit_fairness(
            scored.y,
            scored.p,
            scored.sens,
            threshold=0.5,
            config=FairnessConfig(sensitive=["religion"]),
            bootstrap=BOOT,
        )
    assert "religion" in exc.value.lines()[0]


def test_no_group_with_sufficient_data():
    y, s, sens = _tiny()
    cfg = FairnessConfig(min_group_size=100, intersections=True)
    out = audit_fairness(
        y, s, sens.assign(sensitive__b=["x"] * len(y)), threshold=0.5, config=cfg, bootstrap=BOOT
    )
    a = out["attributes"]["grp"]
    assert a["groups_compared"] == [] and set(a["insufficient"]) == {"A", "B", "C"}
    assert all(d["value"] is None for d in a["disparities"].values())
