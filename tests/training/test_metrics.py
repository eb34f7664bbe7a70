import pytest

from training.metrics import binary_metrics


def test_metrics_values():
    m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["positive_rate"] == 0.5
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert set(m) == {"roc_auc", "pr_auc", "log_loss", "brier", "positive_rate", "mean_score"}


def test_one_class_leaves_out_ranking_metrics():
    m = binary_metrics([0, 0], [0.1, 0.2])
    assert "roc_auc" not in m and "log_loss" in m
