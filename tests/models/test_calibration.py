"""Calibrator: fitted on held-out rows only, estimator untouched, state is data."""

from __future__ import annotations

import numpy as np
import pytest

from crmml.errors import CrmmlError
from models import Calibrator, calibrate, default_params, make_pipeline


@pytest.fixture(scope="module")
def scorecard(spec, data):
    return make_pipeline("scorecard", default_params("scorecard"), spec=spec).fit(*data["train"])


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_learns_only_from_calibration_rows(scorecard, data, method):
    coef = scorecard[-1].coef_.copy()
    calibrated = calibrate(scorecard, *data["cal"], method=method)
    model = calibrated[-1]
    assert isinstance(model, Calibrator)
    np.testing.assert_array_equal(model.estimator_.coef_, coef)
    np.testing.assert_array_equal(scorecard[-1].coef_, coef)
    X_cal, y_cal = data["cal"]
    p = calibrated.predict_proba(X_cal)[:, 1]
    # calibrated on these rows: the mean prediction matches their label rate
    assert abs(p.mean() - y_cal.mean()) < 0.02
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_array_equal(
        model.raw_score(scorecard[0].transform(X_cal)),
        scorecard[-1].decision_function(scorecard[0].transform(X_cal)),
    )


def test_recalibrating_wraps_the_original_estimator(scorecard, data):
    twice = calibrate(calibrate(scorecard, *data["cal"]), *data["cal"], method="isotonic")
    assert type(twice[-1].estimator_) is type(scorecard[-1])
    np.testing.assert_array_equal(twice[-1].estimator_.coef_, scorecard[-1].coef_)


def test_calibrated_copy_survives_refitting_the_original(spec, data):
    pipe = make_pipeline("lgbm", {"n_estimators": 20}, spec=spec).fit(*data["train"])
    calibrated = calibrate(pipe, *data["cal"])
    before = calibrated.predict_proba(data["test"][0])
    pipe.fit(*data["cal"])
    np.testing.assert_array_equal(calibrated.predict_proba(data["test"][0]), before)


def test_unknown_method_is_named(scorecard, data):
    with pytest.raises(CrmmlError, match="calibration method: expected one of"):
        calibrate(scorecard, *data["cal"], method="beta")
