"""Proxy scan: model features strongly associated with a sensitive attribute (Cramér's V)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats.contingency import association, crosstab


def _as_categories(values: pd.Series, *, bins: int = 5) -> np.ndarray:
    """Numeric features binned by quantile; missing values are a category of their own."""
    if pd.api.types.is_numeric_dtype(values) and values.nunique(dropna=True) > bins:
        ranked = values.rank(method="average", pct=True)
        cat = np.ceil(ranked * bins).astype("Float64")
        return cat.astype(str).fillna("missing").to_numpy(str)
    return values.astype(object).where(values.notna(), "missing").astype(str).to_numpy(str)


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Bias-uncorrected Cramér's V between two columns (0: independent, 1: determined)."""
    table = crosstab(_as_categories(a), _as_categories(b)).count
    if min(table.shape) < 2:
        return 0.0
    return float(association(table, method="cramer"))


def proxy_scan(
    features: pd.DataFrame, groups: pd.DataFrame, *, threshold: float, top: int = 10
) -> list[dict]:
    """Feature-attribute pairs by Cramér's V, strongest first: all flagged ones plus the top few.

    Parameters
    ----------
    features : the model's input columns.
    groups : sensitive group labels (see ``evaluation.sensitive.prepare_groups``).
    threshold : V at or above which a feature is flagged as a likely proxy.
    """
    rows = []
    for attr in groups.columns:
        for feat in features.columns:
            v = cramers_v(
                features[feat].reset_index(drop=True), groups[attr].reset_index(drop=True)
            )
            rows.append(
                {
                    "feature": feat,
                    "attribute": attr,
                    "cramers_v": v,
                    "flagged": v >= threshold,
                }
            )
    rows.sort(key=lambda r: -r["cramers_v"])
    return [r for i, r in enumerate(rows) if r["flagged"] or i < top]
