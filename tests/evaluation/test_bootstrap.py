import numpy as np
import pytest
from sklearn import metrics as skm

from evaluation.bootstrap import bootstrap_overall, interval, rank_groups, weighted_auc_ap


def test_weighted_auc_ap_match_sklearn_with_ties():
    rng = np.random.default_rng(0)
    n = 500
    y = rng.integers(0, 2, n)
    s = np.round(rng.random(n) * 0.5 + y * 0.2, 2)  # many ties
    w = rng.poisson(1.0, (4, n)).astype(np.float32)
    order, starts = rank_groups(s)
    auc, ap = weighted_auc_ap(w[:, order], y[order], starts)
    for i in range(4):
        assert auc[i] == pytest.approx(skm.roc_auc_score(y, s, sample_weight=w[i]), abs=1e-9)
        assert ap[i] == pytest.approx(
            skm.average_precision_score(y, s, sample_weight=w[i]), abs=1e-6
        )


def test_bootstrap_intervals_cover_point(scored):
    samples = bootstrap_overall(scored.y, scored.p, threshold=0.5, rounds=200, chunk=64)
    auc = skm.roc_auc_score(scored.y, scored.p)
    lo, hi = interval(samples["roc_auc"], ci=0.95)
    assert lo < auc < hi and hi - lo < 0.1
    assert len(samples["brier"]) == 200
    assert np.mean(samples["selection_rate"]) == pytest.approx(np.mean(scored.p >= 0.5), abs=0.01)


def test_interval_ignores_undefined_rounds():
    assert interval(np.array([np.nan, 1.0, 1.0]), ci=0.9) == (1.0, 1.0)
    lo, hi = interval(np.array([np.nan]), ci=0.9)
    assert np.isnan(lo) and np.isnan(hi)
