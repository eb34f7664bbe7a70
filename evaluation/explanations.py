"""SHAP-based explanations for the report: additivity, global importance, reason samples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from evaluation.reasons import reason_codes

ADDITIVITY_TOL = 1e-5  # float32 tree outputs: 1e-6 is too tight on large log-odds


def additivity_error(values: np.ndarray, base_value: float, raw_score: np.ndarray) -> float:
    """Largest |sum of contributions + base value - model raw output| over the rows."""
    values = np.asarray(values, dtype=float)
    raw = np.asarray(raw_score, dtype=float)
    if values.shape[0] != raw.shape[0]:
        raise ValueError(f"contributions have {values.shape[0]} rows, raw scores {raw.shape[0]}")
    if values.size == 0:
        return 0.0
    return float(np.max(np.abs(values.sum(axis=1) + float(base_value) - raw)))


def global_importance(values: np.ndarray, feature_names: list[str]) -> list[dict]:
    """Mean |SHAP| per feature (and the signed mean), largest first."""
    values = np.asarray(values, dtype=float)
    rows = [
        {
            "feature": f,
            "mean_abs": float(np.mean(np.abs(values[:, j]))),
            "mean": float(np.mean(values[:, j])),
        }
        for j, f in enumerate(feature_names)
    ]
    return sorted(rows, key=lambda r: -r["mean_abs"])


def explain(
    contributions: Any,
    X: pd.DataFrame,
    raw_score: np.ndarray,
    *,
    feature_names: list[str],
    specs: Mapping[str, Mapping],
    sensitive: Iterable[str] = (),
    task: str = "churn",
    top_reasons: int = 3,
    sample_rows: int = 5,
    calibrated: bool = True,
    scorecard_points: list[dict] | None = None,
) -> dict:
    """The ``explanations`` block of ``evaluation.json`` from a model's contributions.

    ``contributions`` has ``values`` (n x features, raw log-odds), ``base_value``,
    ``explainer`` and ``scale`` (see docs/interfaces.md). Sample rows are the highest scores.
    """
    values = np.asarray(contributions.values, dtype=float)
    base = float(np.asarray(contributions.base_value).ravel()[0])
    err = additivity_error(values, base, raw_score)
    top_rows = np.argsort(-np.asarray(raw_score, float), kind="stable")[:sample_rows]
    reasons = reason_codes(
        values[top_rows],
        X.iloc[top_rows].reset_index(drop=True),
        feature_names=feature_names,
        specs=specs,
        sensitive=sensitive,
        top=top_reasons,
        task=task,
    )
    note = (
        "Contributions and reasons explain the uncalibrated log-odds (raw score); the "
        "probabilities are calibrated on top of it, so contributions do not add up to them."
        if calibrated
        else "Contributions explain the model's log-odds output."
    )
    return {
        "explainer": str(getattr(contributions, "explainer", "unknown")),
        "scale": str(getattr(contributions, "scale", "log-odds")),
        "base_value": base,
        "rows_explained": float(len(values)),
        "additivity_max_error": err,
        "additivity_ok": bool(err <= ADDITIVITY_TOL * max(1.0, np.abs(raw_score).max(initial=0))),
        "note": note,
        "global": global_importance(values, feature_names),
        "reasons_sample": [
            {"row": int(i), "raw_score": float(np.asarray(raw_score)[i]), "reasons": r}
            for i, r in zip(top_rows, reasons, strict=True)
        ],
        "scorecard_points": scorecard_points,
    }
