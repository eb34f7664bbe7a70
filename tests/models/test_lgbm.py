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
    # sklearn's check raises AssertionError (or another error) when the contract is broken.
    assert check(estimator) is None


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


def test_early_stopping_keeps_only_the_best_round_and_round_trips(spec, data):
    import lightgbm
    import pytest

    pipe = make_pipeline(
        "lgbm", {"n_estimators": 400, "learning_rate": 0.3, "num_leaves": 31}, spec=spec
    )
    encode, model = pipe[:-1], pipe[-1]
    Xt = encode.fit_transform(*data["train"])
    Xv, yv = encode.transform(data["cal"][0]), data["cal"][1]
    model.fit(
        Xt,
        data["train"][1],
        valid_set=(Xv, yv),
        callbacks=[lightgbm.early_stopping(5, verbose=False)],
    )
    assert 1 <= model.best_iteration_ < 400
    assert model.booster_.current_iteration() == model.best_iteration_
    files: dict[str, str] = {}
    loaded = BoosterClassifier.from_state(model.to_state(files), files)
    Xs = encode.transform(data["test"][0])
    np.testing.assert_array_equal(loaded.predict_proba(Xs), model.predict_proba(Xs))
    with pytest.raises(ValueError, match="unknown class"):
        model.fit(Xt, data["train"][1], valid_set=(Xv, yv + 5))


def test_without_a_valid_set_every_round_is_kept(spec, data):
    model = make_pipeline("lgbm", {"n_estimators": 30}, spec=spec).fit(*data["train"])[-1]
    assert model.best_iteration_ == 30 == model.booster_.current_iteration()


def test_shared_datasets_give_the_same_booster_for_other_training_params(spec, data):
    # Tuning trials bin the rows once (``datasets``) and differ in training params only.
    encode = make_pipeline("lgbm", {}, spec=spec)[:-1]
    Xt, yt = encode.fit_transform(*data["train"]), data["train"][1]
    Xv, yv = encode.transform(data["cal"][0]), data["cal"][1]
    shared = make_pipeline("lgbm", {}, spec=spec)[-1].datasets(Xt, yt, valid_set=(Xv, yv))
    for params in ({"min_child_samples": 40, "bagging_fraction": 0.7}, {"num_leaves": 4}):
        own, reused = (make_pipeline("lgbm", params, spec=spec)[-1] for _ in range(2))
        own.fit(Xt, yt, valid_set=(Xv, yv))
        reused.fit(Xt, yt, valid_set=(Xv, yv), datasets=shared)
        assert reused.booster_.model_to_string() == own.booster_.model_to_string()
