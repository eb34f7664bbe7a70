import numpy as np
import pytest
from sklearn import metrics as skm

from evaluation.config import BusinessConfig, OperatingPointConfig
from evaluation.metrics import (
    business_view,
    calibration_table,
    choose_threshold,
    expected_calibration_error,
    gains_table,
    point_metrics,
)


def test_point_metrics_match_sklearn(scored):
    m = point_metrics(scored.y, scored.p, threshold=0.5)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(scored.y, scored.p))
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(scored.y, scored.p))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(scored.y, scored.p))
    assert m["log_loss"] == pytest.approx(skm.log_loss(scored.y, scored.p))
    pred = scored.p >= 0.5
    assert m["precision"] == pytest.approx(skm.precision_score(scored.y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(scored.y, pred))


def test_ece_by_hand():
    y = np.array([0, 1, 1, 1])
    s = np.array([0.05, 0.15, 0.95, 0.85])
    # bins: [0,.1): pred .05 obs 0; [.1,.2): pred .15 obs 1; [.8,.9): .85 vs 1; [.9,1]: .95 vs 1
    expected = (0.05 + 0.85 + 0.15 + 0.05) / 4
    assert expected_calibration_error(y, s, bins=10) == pytest.approx(expected)
    assert sum(r["count"] for r in calibration_table(y, s)) == 4


def test_operating_points():
    s = np.linspace(0, 1, 101)
    biz = BusinessConfig(cost_per_contact=5, value_per_success=50)
    cap = choose_threshold(
        s, config=OperatingPointConfig(method="capacity", capacity=0.1), business=biz
    )
    assert cap["selection_rate"] == pytest.approx(11 / 101, abs=0.02)
    be = choose_threshold(s, config=OperatingPointConfig(method="break_even"), business=biz)
    assert be["threshold"] == pytest.approx(0.1)
    assert "break-even" in be["description"]
    fixed = choose_threshold(
        s, config=OperatingPointConfig(method="threshold", threshold=0.3), business=biz
    )
    assert fixed["threshold"] == 0.3


def test_gains_and_business():
    y = np.array([1] * 10 + [0] * 90)
    s = np.r_[np.full(10, 0.9), np.full(90, 0.1)]
    g = gains_table(y, s)
    assert g[0]["cumulative_gain"] == 1.0 and g[0]["lift"] == pytest.approx(10.0)
    b = business_view(
        y, s, config=BusinessConfig(cost_per_contact=1, value_per_success=10, contact_fraction=0.1)
    )
    assert b["successes"] == 10 and b["net_value"] == 10 * 10 - 10
    assert b["random_net_value"] == pytest.approx(10 * 0.1 * 10 - 10)
