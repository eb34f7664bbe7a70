"""Probability calibration on held-out data, with a state of two floats or two arrays.

Our own small calibrator instead of ``CalibratedClassifierCV``: that one keeps its fit in
nested private objects (``calibrated_classifiers_[i].calibrators[j]``), so exporting it as
data means depending on private attributes. Here Platt scaling is ``a, b`` on the raw
log-odds and isotonic is a table of thresholds, both trivially JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from crmml.errors import CrmmlError

METHODS = ("sigmoid", "isotonic")


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt (1999) with his smoothed targets; returns ``a, b`` for ``expit(a * raw + b)``."""
    from scipy.optimize import minimize  # fitting only: scoring never imports SciPy's solvers

    n_pos = float(y.sum())
    n_neg = float(len(y) - n_pos)
    target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * raw + ab[1]
        value = -(target * log_expit(z) + (1 - target) * log_expit(-z)).sum()
        residual = expit(z) - target
        return float(value), np.array([(residual * raw).sum(), residual.sum()])

    prior = np.log((n_pos + 1) / (n_neg + 1))
    result = minimize(loss, x0=np.array([1.0, prior]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


class Calibrator(ClassifierMixin, BaseEstimator):
    """Map a fitted estimator's raw log-odds to calibrated probabilities.

    Parameters
    ----------
    estimator : fitted estimator with ``raw_score``
        Already fitted on training data; :meth:`fit` never refits it.
    method : {"sigmoid", "isotonic"}
    """

    def __init__(self, estimator: Any = None, method: str = "sigmoid"):
        self.estimator = estimator
        self.method = method

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    @property
    def family(self) -> str:
        return self.estimator_.family

    def fit(self, X: Any, y: Any) -> Calibrator:
        if self.method not in METHODS:
            raise CrmmlError(
                f"calibration method: expected one of {METHODS}, found {self.method!r}"
            )
        check_is_fitted(self.estimator)
        self.estimator_ = self.estimator
        self.classes_ = self.estimator_.classes_
        self.n_features_in_ = self.estimator_.n_features_in_
        y = (np.asarray(y) == self.classes_[1]).astype(np.float64)
        raw = self.estimator_.raw_score(X)
        if self.method == "sigmoid":
            self.a_, self.b_ = _platt(raw, y)
        else:
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
            self.thresholds_ = iso.X_thresholds_.astype(np.float64)
            self.values_ = iso.y_thresholds_.astype(np.float64)
        return self

    def raw_score(self, X: Any) -> np.ndarray:
        """The wrapped estimator's uncalibrated log-odds."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.raw_score(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        raw = self.raw_score(X)
        if self.method == "sigmoid":
            p = expit(self.a_ * raw + self.b_)
        else:
            # Linear between thresholds, flat beyond them: IsotonicRegression(out_of_bounds="clip")
            p = np.interp(raw, self.thresholds_, self.values_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(int)]

    def raw_contributions(self, X: Any, encoder: Any) -> tuple[np.ndarray, float]:
        return self.estimator_.raw_contributions(X, encoder)

    def describe(self, encoder: Any) -> dict[str, Any]:
        return {**self.estimator_.describe(encoder), "calibration": self.to_state({})}

    def to_state(self, files: dict[str, str]) -> dict[str, Any]:
        """Calibration parameters only; the wrapped estimator is saved beside them."""
        check_is_fitted(self, "estimator_")
        if self.method == "sigmoid":
            return {"method": "sigmoid", "a": self.a_, "b": self.b_}
        return {
            "method": "isotonic",
            "thresholds": self.thresholds_.tolist(),
            "values": self.values_.tolist(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], estimator: Any) -> Calibrator:
        self = cls(estimator=estimator, method=state["method"])
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        self.n_features_in_ = estimator.n_features_in_
        if self.method == "sigmoid":
            self.a_, self.b_ = float(state["a"]), float(state["b"])
        else:
            self.thresholds_ = np.asarray(state["thresholds"], dtype=np.float64)
            self.values_ = np.asarray(state["values"], dtype=np.float64)
        return self


def calibrate(
    pipeline: Pipeline, X_cal: pd.DataFrame, y_cal: Any, *, method: str = "sigmoid"
) -> Pipeline:
    """A pipeline whose estimator is calibrated on ``X_cal, y_cal`` only.

    The encoder and estimator stay as fitted on the training data (copied, so refitting
    ``pipeline`` later leaves the result alone); only the calibrator learns from the
    held-out rows.
    """
    encoder, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    if isinstance(model, Calibrator):
        model = model.estimator_
    encoder, model = copy.deepcopy(encoder), copy.deepcopy(model)
    calibrator = Calibrator(estimator=model, method=method).fit(encoder.transform(X_cal), y_cal)
    return Pipeline([(pipeline.steps[0][0], encoder), ("model", calibrator)])
