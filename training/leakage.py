"""Leakage guard: a single feature that separates the label almost perfectly stops the job.

Such a feature is nearly always computed from data after the snapshot (a cancellation date,
a "won" stage) rather than a real signal, so training stops before tuning, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from crmml.errors import CrmmlError


@dataclass(frozen=True)
class Suspect:
    feature: str
    auc: float
    kind: str


def univariate_auc(
    x: pd.Series, y: pd.Series, *, categorical: bool, smoothing: float = 10.0
) -> float:
    """ROC AUC of one feature used alone as a score (0.5 means no signal).

    Missing values rank below every observed value, so "missing means positive" is caught too.
    Categoricals are scored by their smoothed target rate on the same (training) rows.
    """
    y = np.asarray(y, dtype=float)
    if categorical:
        keys = x.astype("string").fillna("<missing>")
        prior = float(y.mean())
        stats = (
            pd.DataFrame({"k": keys.to_numpy(), "y": y}).groupby("k")["y"].agg(["sum", "count"])
        )
        rate = (stats["sum"] + smoothing * prior) / (stats["count"] + smoothing)
        score = keys.map(rate).to_numpy(dtype=float)
    else:
        values = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return 0.5
        score = np.where(np.isfinite(values), values, finite.min() - 1.0)
    if np.unique(score).size < 2:
        return 0.5
    return float(roc_auc_score(y, score))


def find_leaks(
    train: pd.DataFrame,
    y: pd.Series,
    *,
    numeric: list[str],
    categorical: list[str],
    threshold: float = 0.9,
    smoothing: float = 10.0,
) -> list[Suspect]:
    """Features whose univariate AUC on ``train`` is >= ``threshold`` or <= 1 - ``threshold``."""
    found = []
    for names, is_cat in ((numeric, False), (categorical, True)):
        for name in names:
            auc = univariate_auc(train[name], y, categorical=is_cat, smoothing=smoothing)
            if auc >= threshold or auc <= 1.0 - threshold:
                found.append(Suspect(name, round(auc, 4), "categorical" if is_cat else "numeric"))
    return sorted(found, key=lambda s: -abs(s.auc - 0.5))


def check_leakage(
    train: pd.DataFrame,
    y: pd.Series,
    *,
    numeric: list[str],
    categorical: list[str],
    threshold: float,
    allow: tuple[str, ...] = (),
    smoothing: float = 10.0,
) -> list[Suspect]:
    """Raise a CrmmlError naming every suspect not in ``allow``; return the allowed suspects."""
    suspects = find_leaks(
        train,
        y,
        numeric=numeric,
        categorical=categorical,
        threshold=threshold,
        smoothing=smoothing,
    )
    blocking = [s for s in suspects if s.feature not in allow]
    if blocking:
        lines = [
            f"feature '{s.feature}' ({s.kind}) alone separates the label on the training "
            f"snapshots (univariate ROC AUC {s.auc:.3f}, threshold {threshold}): suspected "
            "leakage (is it known only after the outcome?)"
            for s in blocking
        ]
        lines.append(
            "fix the feature, declare it in the manifest's drop_after_outcome, or allow it in "
            "the training config (leakage.allow: [" + ", ".join(s.feature for s in blocking) + "])"
        )
        raise CrmmlError("suspected label leakage", problems=lines)
    return [s for s in suspects if s.feature in allow]
