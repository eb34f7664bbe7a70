"""Scorecard: logistic regression on binned / one-hot features, readable as points."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from models.transformers import MISSING, FeatureEncoder

# Points to double the odds: the usual credit-scorecard scaling (PDO), here risk points.
POINTS_TO_DOUBLE_ODDS = 20.0


class ScorecardLogit(LogisticRegression):
    """:class:`~sklearn.linear_model.LogisticRegression` that writes and reads its state."""

    family = "scorecard"

    def raw_score(self, X: np.ndarray) -> np.ndarray:
        """Log-odds of the positive class."""
        return self.decision_function(X)

    def raw_contributions(
        self, X: np.ndarray, encoder: FeatureEncoder
    ) -> tuple[np.ndarray, float]:
        """Per encoded column: coef x (value - training mean); base is the score at the mean."""
        coef = self.coef_[0]
        mean = encoder.encoded_mean_
        return coef * (X - mean), float(self.intercept_[0] + coef @ mean)

    def to_state(self, files: dict[str, str]) -> dict[str, Any]:
        check_is_fitted(self, "coef_")
        return {
            "params": _json_params(self.get_params()),
            "classes": [int(c) for c in self.classes_],
            "coef": [float(v) for v in self.coef_[0]],
            "intercept": float(self.intercept_[0]),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], files: Mapping[str, str]) -> ScorecardLogit:
        self = cls(**state["params"])
        self.classes_ = np.asarray(state["classes"])
        self.coef_ = np.asarray([state["coef"]], dtype=np.float64)
        self.intercept_ = np.asarray([state["intercept"]], dtype=np.float64)
        self.n_features_in_ = self.coef_.shape[1]
        self.n_iter_ = np.zeros(1, dtype=np.int32)
        return self

    def describe(self, encoder: FeatureEncoder) -> dict[str, Any]:
        """Points per feature value: risk points add up; +20 points doubles the odds."""
        check_is_fitted(self, "coef_")
        factor = POINTS_TO_DOUBLE_ODDS / math.log(2)
        rows = []
        for name, group, coef in zip(
            encoder.output_names_, encoder.output_groups_, self.coef_[0], strict=True
        ):
            feature = (encoder.numeric_ + encoder.categorical_)[group]
            value = name[len(str(feature)) + 1 :] if "=" in name else name
            if feature in encoder.bin_edges_ and value != MISSING:
                value = _bin_label(encoder.bin_edges_[feature], int(value[3:]))
            rows.append(
                {
                    "feature": str(feature),
                    "value": "missing" if value == MISSING else value,
                    "coefficient": float(coef),
                    "points": round(float(coef) * factor, 1),
                }
            )
        return {
            "family": self.family,
            "points_to_double_odds": POINTS_TO_DOUBLE_ODDS,
            "intercept": float(self.intercept_[0]),
            "base_points": round(float(self.intercept_[0]) * factor, 1),
            "note": "Unseen categories score 0 points for their feature.",
            "points": rows,
        }


def _bin_label(edges: list[float], k: int) -> str:
    low = "-inf" if k == 0 else f"{edges[k - 1]:.6g}"
    high = "inf)" if k == len(edges) else f"{edges[k]:.6g}]"
    return f"({low}, {high}"


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    # ``penalty`` is deprecated since scikit-learn 1.8; ``l1_ratio`` says the same thing
    return {k: v for k, v in params.items() if k != "penalty"}
