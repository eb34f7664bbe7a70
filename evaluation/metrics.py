"""Performance metrics at one operating point: pure functions over labels and scores."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from evaluation.config import BusinessConfig, OperatingPointConfig

_EPS = 1e-15


def choose_threshold(
    y_score: np.ndarray, *, config: OperatingPointConfig, business: BusinessConfig
) -> dict:
    """The operating threshold chosen by config, with what it means in words.

    ``capacity`` contacts the top share of rows, ``break_even`` contacts whenever the expected
    value of a contact covers its cost (``p * value >= cost``), ``threshold`` is a fixed cut-off.
    """
    y_score = np.asarray(y_score, dtype=float)
    if config.method == "threshold":
        value = config.threshold
        text = f"probability cut-off {value:.3f} (fixed in config)"
    elif config.method == "capacity":
        # The k-th highest score: ties at the cut-off may select a little more than k%.
        k = max(1, int(np.ceil(config.capacity * len(y_score))))
        value = float(np.sort(y_score)[::-1][k - 1]) if len(y_score) else 0.5
        text = f"capacity: contact the top {config.capacity:.0%} (score >= {value:.4f})"
    else:
        if business.value_per_success <= 0:
            value = 1.0
        else:
            value = min(1.0, business.cost_per_contact / business.value_per_success)
        text = (
            f"break-even: contact when P x {business.value_per_success:g} >= "
            f"{business.cost_per_contact:g} (P >= {value:.4f})"
        )
    return {
        "method": config.method,
        "threshold": float(value),
        "capacity": config.capacity if config.method == "capacity" else None,
        "selection_rate": float(np.mean(y_score >= value)) if len(y_score) else 0.0,
        "description": text,
    }


def calibration_table(y_true: np.ndarray, y_score: np.ndarray, *, bins: int = 10) -> list[dict]:
    """Reliability table over equal-width probability bins (empty bins left out)."""
    y_true, y_score = np.asarray(y_true, float), np.asarray(y_score, float)
    idx = _bin_index(y_score, bins)
    rows = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        rows.append(
            {
                "bin_low": b / bins,
                "bin_high": (b + 1) / bins,
                "count": float(m.sum()),
                "mean_predicted": float(y_score[m].mean()),
                "observed_rate": float(y_true[m].mean()),
            }
        )
    return rows


def expected_calibration_error(
    y_true: np.ndarray, y_score: np.ndarray, *, bins: int = 10
) -> float:
    """Count-weighted mean |mean predicted - observed rate| over equal-width bins."""
    table = calibration_table(y_true, y_score, bins=bins)
    n = sum(r["count"] for r in table)
    if n == 0:
        return float("nan")
    return float(
        sum(r["count"] * abs(r["mean_predicted"] - r["observed_rate"]) for r in table) / n
    )


def _bin_index(y_score: np.ndarray, bins: int) -> np.ndarray:
    return np.clip((np.asarray(y_score, float) * bins).astype(int), 0, bins - 1)


def point_metrics(
    y_true: np.ndarray, y_score: np.ndarray, *, threshold: float, bins: int = 10
) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, log loss, ECE, and precision/recall at the threshold."""
    y_true = np.asarray(y_true, dtype=int)
    y_score = np.asarray(y_score, dtype=float)
    pred = y_score >= threshold
    both = 0 < y_true.sum() < len(y_true)
    tp = float((pred & (y_true == 1)).sum())
    return {
        "roc_auc": float(skm.roc_auc_score(y_true, y_score)) if both else float("nan"),
        "pr_auc": float(skm.average_precision_score(y_true, y_score)) if both else float("nan"),
        "brier": float(np.mean((y_score - y_true) ** 2)),
        "log_loss": float(skm.log_loss(y_true, np.clip(y_score, _EPS, 1 - _EPS), labels=[0, 1])),
        "ece": expected_calibration_error(y_true, y_score, bins=bins),
        "precision": tp / pred.sum() if pred.sum() else float("nan"),
        "recall": tp / y_true.sum() if y_true.sum() else float("nan"),
        "selection_rate": float(pred.mean()),
        "base_rate": float(y_true.mean()),
    }


def gains_table(y_true: np.ndarray, y_score: np.ndarray, *, groups: int = 10) -> list[dict]:
    """Lift and cumulative gains by decile of score, highest scores first."""
    y_true = np.asarray(y_true, dtype=float)
    order = np.argsort(-np.asarray(y_score, dtype=float), kind="stable")
    parts = np.array_split(y_true[order], groups)
    total_pos, base = y_true.sum(), y_true.mean() if len(y_true) else 0.0
    rows, cum_n, cum_pos = [], 0, 0.0
    for i, part in enumerate(parts, start=1):
        cum_n += len(part)
        cum_pos += part.sum()
        rate = float(part.mean()) if len(part) else float("nan")
        rows.append(
            {
                "decile": i,
                "count": float(len(part)),
                "positives": float(part.sum()),
                "rate": rate,
                "lift": rate / base if base else float("nan"),
                "cumulative_share": cum_n / len(y_true),
                "cumulative_gain": cum_pos / total_pos if total_pos else float("nan"),
                "cumulative_lift": (cum_pos / cum_n) / base if base and cum_n else float("nan"),
            }
        )
    return rows


def business_view(y_true: np.ndarray, y_score: np.ndarray, *, config: BusinessConfig) -> dict:
    """Expected value of contacting the top k% versus contacting the same number at random."""
    y_true = np.asarray(y_true, dtype=float)
    n = len(y_true)
    k = max(1, int(np.ceil(config.contact_fraction * n)))
    top = np.argsort(-np.asarray(y_score, dtype=float), kind="stable")[:k]
    successes = float(y_true[top].sum())
    cost = k * config.cost_per_contact
    net = successes * config.value_per_success - cost
    random_net = k * float(y_true.mean()) * config.value_per_success - cost
    return {
        "contact_fraction": config.contact_fraction,
        "contacted": float(k),
        "cost_per_contact": config.cost_per_contact,
        "value_per_success": config.value_per_success,
        "successes": successes,
        "expected_successes_by_score": float(np.asarray(y_score, float)[top].sum()),
        "total_cost": cost,
        "net_value": net,
        "roi": net / cost if cost else float("nan"),
        "random_net_value": random_net,
        "uplift_vs_random": net - random_net,
    }
