"""Mitigation: fairlearn post-processing over the model's scores, beside the unmitigated model.

The model itself is not refitted: ThresholdOptimizer picks group-specific thresholds on a
fitting set (validation rows) and is judged on the evaluation rows, so the reviewer sees the
accuracy / disparity trade-off of fixing the audit's failure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from evaluation.fairness import disparities_from_counts

CONSTRAINTS = {  # the parity that matters for the use (see fairness.KEY_METRICS)
    "assistive": "true_positive_rate_parity",
    "punitive": "false_positive_rate_parity",
}


class ScoreEstimator(ClassifierMixin, BaseEstimator):
    """A prefit 'estimator' whose single input column is already P(label = 1)."""

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        s = np.asarray(X, dtype=float).reshape(len(X), -1)[:, 0]
        return np.column_stack([1 - s, s])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _summary(
    y: np.ndarray, pred: np.ndarray, groups: pd.Series, min_group_size: int
) -> dict[str, float]:
    names, g = np.unique(groups.to_numpy(str), return_inverse=True)
    counts = np.bincount(g * 4 + 2 * y + pred, minlength=4 * len(names))
    counts = counts.reshape(len(names), 4).astype(float)
    # Same rule as the audit: groups too small or without both outcomes are not compared.
    pos, n = counts[:, 2:].sum(1), counts.sum(1)
    ok = (n >= min_group_size) & (pos > 0) & (pos < n)
    d = disparities_from_counts(counts[ok])
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "selection_rate": float(pred.mean()),
        "tpr": float(pred[y == 1].mean()) if (y == 1).any() else float("nan"),
        **{k: float(v) for k, v in d.items()},
    }


def _logit(s: np.ndarray) -> np.ndarray:
    s = np.clip(np.asarray(s, float), 1e-6, 1 - 1e-6)
    return np.log(s / (1 - s)).reshape(-1, 1)


def mitigate(
    *,
    y_fit: np.ndarray,
    score_fit: np.ndarray,
    groups_fit: pd.Series,
    y_eval: np.ndarray,
    score_eval: np.ndarray,
    groups_eval: pd.Series,
    threshold: float,
    use: str = "assistive",
    method: str = "threshold_optimizer",
    attribute: str = "",
    min_group_size: int = 30,
    seed: int = 0,
) -> dict:
    """Fit a fairlearn mitigation on the fit rows; compare it with the unmitigated model.

    Returns
    -------
    dict with ``method``, ``constraint``, ``attribute``, ``unmitigated`` and ``mitigated``
    (accuracy, balanced accuracy, selection rate, TPR and the disparities), and a ``note``.
    """
    y_fit, y_eval = np.asarray(y_fit, int), np.asarray(y_eval, int)
    constraint = CONSTRAINTS[use]
    if method == "threshold_optimizer":
        from fairlearn.postprocessing import ThresholdOptimizer

        est = ThresholdOptimizer(
            estimator=ScoreEstimator().fit(None),
            constraints=constraint,
            objective="balanced_accuracy_score",
            prefit=True,
            predict_method="predict_proba",
        )
        est.fit(np.asarray(score_fit).reshape(-1, 1), y_fit, sensitive_features=groups_fit)
        pred = est.predict(
            np.asarray(score_eval).reshape(-1, 1),
            sensitive_features=groups_eval,
            random_state=seed,
        )
    else:
        from fairlearn.reductions import (
            ExponentiatedGradient,
            FalsePositiveRateParity,
            TruePositiveRateParity,
        )

        moment = TruePositiveRateParity() if use == "assistive" else FalsePositiveRateParity()
        # Reweighted recalibration of the score: the model is not refitted.
        est = ExponentiatedGradient(LogisticRegression(), constraints=moment)
        est.fit(_logit(score_fit), y_fit, sensitive_features=groups_fit)
        pred = est.predict(_logit(score_eval), random_state=seed)
    pred = np.asarray(pred, int)
    base = (np.asarray(score_eval, float) >= threshold).astype(int)
    return {
        "method": method,
        "constraint": constraint,
        "attribute": attribute,
        "fit_rows": float(len(y_fit)),
        "eval_rows": float(len(y_eval)),
        "unmitigated": _summary(y_eval, base, groups_eval, min_group_size),
        "mitigated": _summary(y_eval, pred, groups_eval, min_group_size),
        "note": (
            f"fitted on {len(y_fit)} validation rows, judged on the {len(y_eval)} test rows; "
            "the mitigated model uses group-specific (randomised) thresholds and its own "
            "operating point, so compare selection rates too"
        ),
    }
