"""Binary-classification metrics logged on the parent run (validation and test)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "positive_rate", "mean_score")


def binary_metrics(y_true, proba) -> dict[str, float]:
    """ROC AUC, PR AUC, log loss, Brier score, positive rate and mean predicted probability.

    With one class in ``y_true`` the ranking metrics are undefined and left out.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(proba, dtype=float), 1e-15, 1 - 1e-15)
    out = {
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "positive_rate": float(y.mean()),
        "mean_score": float(p.mean()),
    }
    if np.unique(y).size == 2:
        out["roc_auc"] = float(roc_auc_score(y, p))
        out["pr_auc"] = float(average_precision_score(y, p))
    return {k: out[k] for k in METRICS if k in out}


def prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": v for k, v in metrics.items()}
