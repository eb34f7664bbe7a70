"""Sensitive attributes as group labels: continuous ones binned, missing values a group."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from crmml.errors import ConfigError
from evaluation.config import FairnessConfig

PREFIX = "sensitive__"
MISSING = "missing"


def attribute_name(column: str) -> str:
    """``sensitive__age`` -> ``age`` (the name used in config, reports and checks)."""
    return column[len(PREFIX) :] if column.startswith(PREFIX) else column


def select_attributes(sensitive: pd.DataFrame, *, config: FairnessConfig) -> list[str]:
    """Columns to audit: those named in config (with or without the prefix), else all."""
    if not config.sensitive:
        return list(sensitive.columns)
    by_name = {attribute_name(c): c for c in sensitive.columns}
    missing = [a for a in config.sensitive if attribute_name(a) not in by_name]
    if missing:
        raise ConfigError(
            "fairness.sensitive names attributes not in the data",
            problems=[
                f"fairness.sensitive: attribute '{a}' not found "
                f"(found: {', '.join(sorted(by_name)) or 'none'})"
                for a in missing
            ],
        )
    return [by_name[attribute_name(a)] for a in config.sensitive]


def _fmt(x: float) -> str:
    return f"{x:g}"


def group_labels(
    values: pd.Series, *, name: str, config: FairnessConfig
) -> tuple[pd.Series, dict]:
    """String group labels for one attribute and how they were made.

    Numeric attributes with many distinct values are binned (config edges, else quintiles);
    missing values become the explicit group ``"missing"`` (MetricFrame raises on NaN).
    """
    info: dict = {"binned": False, "bins": None, "missing": float(values.isna().sum())}
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique(dropna=True) > config.continuous_min_unique:
        edges = config.bins.get(name)
        source = "config"
        if edges is None:
            qs = np.nanquantile(values.to_numpy(float), np.linspace(0, 1, 6))
            edges = sorted(set(float(q) for q in qs))
            edges[-1] = np.nextafter(edges[-1], np.inf)  # include the maximum in the last bin
            source = "quintiles"
        labels = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(edges)]
        cut = pd.cut(values.astype(float), bins=edges, right=False, labels=labels)
        out = cut.astype(object)
        outside = values.notna() & cut.isna()
        out[outside] = "out of bins"
        info.update(binned=True, bins={"edges": [float(e) for e in edges], "source": source})
    else:
        out = values.astype(object).map(lambda v: v if isinstance(v, str) else str(v))
    out = out.where(values.notna(), MISSING).astype(str)
    return out.rename(name), info


def prepare_groups(
    sensitive: pd.DataFrame, *, config: FairnessConfig
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Group labels for every audited attribute (columns renamed to attribute names)."""
    cols, infos = {}, {}
    for column in select_attributes(sensitive, config=config):
        name = attribute_name(column)
        cols[name], infos[name] = group_labels(sensitive[column], name=name, config=config)
    return pd.DataFrame(cols, index=sensitive.index), infos


def intersections(groups: pd.DataFrame) -> dict[str, pd.Series]:
    """Labels for each pair of attributes, e.g. ``gender x age_band`` -> ``F & [25, 35)``."""
    out = {}
    for a, b in itertools.combinations(groups.columns, 2):
        if a.removesuffix("_band") == b.removesuffix("_band"):
            continue  # age x age_band: one attribute twice, not an intersection
        out[f"{a} x {b}"] = (groups[a] + " & " + groups[b]).rename(f"{a} x {b}")
    return out
