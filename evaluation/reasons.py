"""Reason codes: the top contributing features of a row as plain phrases.

Phrases come from the feature descriptions in the training-set manifest (``phrase`` is a
``str.format`` template with ``{value}``). Sensitive attributes never appear as reasons: a
feature is left out if its name, description or phrase names a sensitive attribute.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from evaluation.sensitive import PREFIX, attribute_name

OUTCOMES = {
    "churn": "churn risk",
    "repurchase": "repurchase likelihood",
    "lead_score": "conversion",
}


def _mentions(text: str, names: Iterable[str]) -> bool:
    words = set(re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")))
    for name in names:
        parts = re.findall(r"[a-z0-9]+", name.lower().replace("_", " "))
        if parts and all(p in words for p in parts):
            return True
    return False


def excluded_features(
    feature_names: Iterable[str], *, specs: Mapping[str, Mapping], sensitive: Iterable[str]
) -> set[str]:
    """Features that must never be given as a reason (sensitive or naming a sensitive attr)."""
    names = {attribute_name(s) for s in sensitive}
    out = set()
    for f in feature_names:
        spec = specs.get(f, {})
        text = " ".join([f, str(spec.get("description", "")), str(spec.get("phrase", ""))])
        if f.startswith(PREFIX) or attribute_name(f) in names or _mentions(text, names):
            out.add(f)
    return out


def phrase(feature: str, value: object, *, spec: Mapping | None = None) -> str:
    """The feature's phrase with its value; falls back to ``description: value``."""
    spec = spec or {}
    missing = value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
    template = spec.get("phrase")
    if template and not missing:
        try:
            return str(template).format(value=value)
        except (ValueError, TypeError, KeyError, IndexError):
            pass  # e.g. a numeric format spec given a category: use the fallback
    label = spec.get("description") or feature.replace("_", " ")
    if missing:
        return f"{label}: unknown"
    if isinstance(value, float | np.floating):
        return f"{label}: {value:g}"
    return f"{label}: {value}"


def reason_codes(
    values: np.ndarray,
    X: pd.DataFrame,
    *,
    feature_names: list[str],
    specs: Mapping[str, Mapping],
    sensitive: Iterable[str] = (),
    top: int = 3,
    task: str = "churn",
    direction: Literal["raises", "both"] = "raises",
) -> list[list[dict]]:
    """Top reasons per row from raw (log-odds) contributions, strongest first.

    ``direction="raises"`` keeps only features that push the score up (what a contact should
    address); ``"both"`` ranks by absolute contribution.
    """
    values = np.asarray(values, dtype=float)
    outcome = OUTCOMES.get(task, "the score")
    banned = excluded_features(feature_names, specs=specs, sensitive=sensitive)
    allowed = np.array([f not in banned for f in feature_names])
    key = np.where(allowed, values if direction == "raises" else np.abs(values), -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")[:, :top]
    out = []
    for i, row in enumerate(order):
        reasons = []
        for j in row:
            c = values[i, j]
            if not np.isfinite(key[i, j]) or (direction == "raises" and c <= 0) or c == 0:
                continue
            f = feature_names[j]
            v = X.iloc[i][f]
            text = phrase(f, v, spec=specs.get(f))
            verb = "raises" if c > 0 else "lowers"
            reasons.append(
                {
                    "feature": f,
                    "value": None
                    if pd.isna(v)
                    else (float(v) if isinstance(v, int | float | np.number) else str(v)),
                    "contribution": float(c),
                    "phrase": text,
                    "text": f"{text} ({verb} {outcome})",
                }
            )
        out.append(reasons)
    return out
