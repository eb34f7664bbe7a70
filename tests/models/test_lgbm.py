"""LightGBM family: scikit-learn contract and the declared monotone directions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from models import calibrate, make_pipeline
from models.lgbm import BoosterClassifier


@parametrize_with_checks([BoosterClassifier(n_estimators=5, num_leaves=4, min_child_samples=1)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_monotone_constraints_follow_spec_order(spec):
    model = make_pipeline("lgbm", {}, spec=spec)[-1]
    # numeric first in spec order, categoricals always 0
    assert model.monotone_constraints == (1, -1, 0, 0, 0, 0, 0, 0)
    assert model.categorical_features == (6, 7)


@settings(max_examples=40, deadline=None)
@given(row=st.integers(0, 299), low=st.floats(0, 300), step=st.floats(0.5, 400))
def test_more_days_since_last_order_never_lowers_risk(fitted, data, row, low, step):
    X = data["test"][0].iloc[[row, row]].copy()
    X["days_since_last_order"] = [low, low + step]
    p = fitted["lgbm"].predict_proba(X)[:, 1]
    assert p[1] >= p[0]
    # orders_count is declared -1: more orders never raise the risk
    X["days_since_last_order"] = low
    X["orders_count"] = X["orders_count"].to_numpy() + [0.0, step / 10]
    p = fitted["lgbm"].predict_proba(X)[:, 1]
    assert p[1] <= p[0]


def test_monotone_holds_over_a_grid_for_raw_and_isotonic(fitted, data):
    raw = fitted["lgbm"].steps[-1][1].estimator_
    X = data["test"][0].head(50)
    grid = np.linspace(0, 500, 26)
    iso = calibrate(fitted["lgbm"], *data["cal"], method="isotonic")
    for pipe_step, pipe in (("raw", None), ("isotonic", iso)):
        scores = []
        for g in grid:
            rows = X.assign(days_since_last_order=g)
            if pipe is None:
                scores.append(raw.raw_score(fitted["lgbm"].steps[0][1].transform(rows)))
            else:
                scores.append(pipe.predict_proba(rows)[:, 1])
        assert (np.diff(np.array(scores), axis=0) >= -1e-12).all(), pipe_step
