"""Population drift: PSI per feature and for the score, missing-rate changes, new categories.

A *profile* summarises the reference population (the champion's training rows): quantile bin
edges and frequencies for numeric columns, value frequencies for categorical ones, missing
rates. It is plain JSON, so it can be stored next to a model and compared with any later
scoring population without the reference rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

SCORE = "score"
_EPS = 1e-4  # floor of a bin share, so an empty bin gives a large but finite PSI


class DriftPolicy(BaseModel):
    """When a population counts as drifted (the ``drift`` section of configs/retraining.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bins: int = Field(10, ge=2, le=50, description="quantile bins of numeric columns")
    psi_warn: float = Field(0.1, ge=0, description="PSI from which a column is reported")
    psi_alert: float = Field(0.25, ge=0, description="PSI from which a column has drifted")
    max_missing_change: float = Field(
        0.1, ge=0, le=1, description="absolute change of a missing rate that counts as drift"
    )
    max_new_category_share: float = Field(
        0.05, ge=0, le=1, description="share of rows with unseen categories that counts as drift"
    )
    max_drifted_features: int = Field(
        0, ge=0, description="the population drifted when more features than this drifted"
    )
    score_alert: bool = Field(True, description="score PSI >= psi_alert alone means drift")
    top_categories: int = Field(50, ge=1, description="categories kept per column in a profile")
    min_rows: int = Field(
        50, ge=1, description="fewer non-missing current values: PSI is reported, not judged"
    )
    significance: float | None = Field(
        0.01,
        gt=0,
        lt=1,
        description="a PSI must also exceed its sampling noise at this level (None: off)",
    )


def _numeric_profile(values: pd.Series, bins: int) -> dict:
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    present = x.dropna().to_numpy()
    if present.size == 0:
        edges: list[float] = []
    else:
        qs = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])
        edges = sorted({float(q) for q in qs if math.isfinite(q)})
    counts = _bin_counts(present, edges)
    total = max(present.size, 1)
    return {
        "kind": "numeric",
        "edges": edges,
        "freq": [c / total for c in counts],
        "count": int(present.size),
        "missing_rate": float(x.isna().mean()) if len(x) else 0.0,
        "mean": float(present.mean()) if present.size else None,
    }


def _bin_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    # Bins are (-inf, e0], (e0, e1], ..., (e_last, inf): right-closed, as np.searchsorted left.
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), values, side="left")
    return np.bincount(idx, minlength=len(edges) + 1).tolist()


def _categorical_profile(values: pd.Series, top: int) -> dict:
    s = values.astype("string")
    present = s.dropna()
    shares = present.value_counts(normalize=True)
    kept = shares.iloc[:top]
    return {
        "kind": "categorical",
        "freq": {str(k): float(v) for k, v in kept.items()},
        "count": int(len(present)),
        "other": float(max(0.0, 1.0 - kept.sum())) if len(present) else 0.0,
        "missing_rate": float(s.isna().mean()) if len(s) else 0.0,
    }


def profile(
    frame: pd.DataFrame,
    *,
    features: list[dict],
    score: np.ndarray | None = None,
    policy: DriftPolicy | None = None,
) -> dict:
    """Profile of a reference population.

    Parameters
    ----------
    frame : rows with the feature columns.
    features : manifest feature entries (``name``, ``kind`` numeric or categorical).
    score : model scores of the same rows (profiled as a numeric column named ``score``).
    policy : bins and categories kept (defaults when omitted).
    """
    policy = policy or DriftPolicy()
    cols: dict[str, dict] = {}
    for feat in features:
        name = feat["name"]
        if name not in frame.columns:
            continue
        if feat.get("kind") == "categorical":
            cols[name] = _categorical_profile(frame[name], policy.top_categories)
        else:
            cols[name] = _numeric_profile(frame[name], policy.bins)
    out = {"rows": int(len(frame)), "columns": cols}
    if score is not None:
        out[SCORE] = _numeric_profile(pd.Series(np.asarray(score, dtype="float64")), policy.bins)
    return out


def psi(expected: list[float], actual: list[float]) -> float:
    """Population stability index: sum((a - e) * ln(a / e)) over bins (shares floored)."""
    e = np.clip(np.asarray(expected, dtype="float64"), _EPS, None)
    a = np.clip(np.asarray(actual, dtype="float64"), _EPS, None)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def _compare_numeric(ref: dict, values: pd.Series) -> dict:
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    present = x.dropna().to_numpy()
    counts = _bin_counts(present, ref["edges"])
    actual = [c / max(present.size, 1) for c in counts]
    value = psi(ref["freq"], actual) if present.size and ref["freq"] else None
    return {
        "kind": "numeric",
        "psi": value,
        "reference_missing_rate": ref["missing_rate"],
        "current_missing_rate": float(x.isna().mean()) if len(x) else 0.0,
        "reference_mean": ref.get("mean"),
        "current_mean": float(present.mean()) if present.size else None,
        "new_categories": [],
        "new_category_share": 0.0,
        "_present": int(present.size),
        "_bins": len(ref["freq"]),
        "_ref_count": ref.get("count"),
    }


def _compare_categorical(ref: dict, values: pd.Series) -> dict:
    s = values.astype("string")
    present = s.dropna()
    shares = present.value_counts(normalize=True)
    known = ref["freq"]
    expected = [*known.values(), ref["other"]]
    seen = {k: float(shares.get(k, 0.0)) for k in known}
    unseen = {str(k): float(v) for k, v in shares.items() if str(k) not in known}
    actual = [*seen.values(), sum(unseen.values())]
    # A column cut at top_categories has an "other" bucket: values there are not new.
    new = unseen if ref["other"] <= 0 else {}
    return {
        "kind": "categorical",
        "psi": psi(expected, actual) if len(present) else None,
        "reference_missing_rate": ref["missing_rate"],
        "current_missing_rate": float(s.isna().mean()) if len(s) else 0.0,
        "new_categories": sorted(new, key=lambda k: -new[k])[:20],
        "new_category_share": float(sum(new.values())),
        "_present": int(len(present)),
        "_bins": len(expected),
        "_ref_count": ref.get("count"),
    }


def _noise(bins: int, n_ref: int | None, n_cur: int, significance: float | None):
    """PSI that sampling alone exceeds with probability ``significance``.

    Under no change, ``PSI * n_eff`` is about chi-square with ``bins - 1`` degrees of freedom
    (``n_eff = 1 / (1/n_ref + 1/n_cur)``), so small populations need a larger PSI to count.
    """
    if significance is None or not n_ref or not n_cur or bins < 2:
        return None
    from scipy.stats import chi2

    n_eff = 1.0 / (1.0 / n_ref + 1.0 / n_cur)
    return float(chi2.ppf(1 - significance, bins - 1) / n_eff)


def _status(col: dict, policy: DriftPolicy) -> tuple[str, list[str]]:
    reasons = []
    value = col["psi"]
    present, bins, ref_count = col.pop("_present"), col.pop("_bins"), col.pop("_ref_count")
    col["psi_noise"] = _noise(bins, ref_count, present, policy.significance)
    if present < policy.min_rows and value is not None:
        col["note"] = f"fewer than {policy.min_rows} non-missing values: PSI not judged"
        value = None
    elif value is not None and col["psi_noise"] is not None and value < col["psi_noise"]:
        col["note"] = f"PSI within sampling noise ({col['psi_noise']:.3f}) of these row counts"
        value = min(value, policy.psi_warn)  # reported, never an alert
    if value is not None and value >= policy.psi_alert:
        reasons.append(f"PSI {value:.3f} >= {policy.psi_alert}")
    change = col["current_missing_rate"] - col["reference_missing_rate"]
    col["missing_rate_change"] = change
    if abs(change) > policy.max_missing_change:
        before, now = col["reference_missing_rate"], col["current_missing_rate"]
        reasons.append(f"missing rate {before:.1%} -> {now:.1%}")
    if col["new_category_share"] > policy.max_new_category_share:
        shown = ", ".join(col["new_categories"][:5])
        reasons.append(f"new categories in {col['new_category_share']:.1%} of rows ({shown})")
    if reasons:
        return "drift", reasons
    if value is not None and value >= policy.psi_warn:
        return "warn", [f"PSI {value:.3f} >= {policy.psi_warn}"]
    return "ok", []


def compare(
    reference: dict,
    current: pd.DataFrame,
    *,
    score: np.ndarray | None = None,
    policy: DriftPolicy | None = None,
) -> dict:
    """Compare ``current`` rows (and their scores) with a reference :func:`profile`.

    Returns
    -------
    dict
        ``drifted`` (bool), ``reasons``, ``features`` (per column: psi, missing rates, new
        categories, status), ``score`` (or None), ``rows`` and the ``policy``.
    """
    policy = policy or DriftPolicy()
    features: dict[str, dict] = {}
    missing_cols = []
    for name, ref in reference["columns"].items():
        if name not in current.columns:
            missing_cols.append(name)
            continue
        fn = _compare_categorical if ref["kind"] == "categorical" else _compare_numeric
        col = fn(ref, current[name])
        col["status"], col["reasons"] = _status(col, policy)
        features[name] = col
    score_block = None
    if score is not None and reference.get(SCORE):
        score_block = _compare_numeric(reference[SCORE], pd.Series(np.asarray(score, float)))
        score_block["status"], score_block["reasons"] = _status(score_block, policy)
    drifted_features = sorted(n for n, c in features.items() if c["status"] == "drift")
    reasons = []
    if len(drifted_features) > policy.max_drifted_features:
        reasons.append(
            f"{len(drifted_features)} feature(s) drifted (allowed {policy.max_drifted_features}):"
            f" {', '.join(drifted_features)}"
        )
    if score_block and policy.score_alert and score_block["status"] == "drift":
        reasons.append("score: " + "; ".join(score_block["reasons"]))
    if missing_cols:
        reasons.append(f"column(s) missing from the current population: {', '.join(missing_cols)}")
    return {
        "drifted": bool(reasons),
        "reasons": reasons,
        "rows": {"reference": reference.get("rows"), "current": int(len(current))},
        "drifted_features": drifted_features,
        "features": features,
        "score": score_block,
        "policy": policy.model_dump(),
    }


def load_drift_policy(path=None) -> DriftPolicy:
    """The ``drift`` section of a retraining config YAML (defaults when ``path`` is None)."""
    from pathlib import Path

    from crmml.config import read_yaml
    from crmml.errors import ConfigError

    if path is None:
        return DriftPolicy()
    data = read_yaml(Path(path)).get("drift") or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: key 'drift': expected a mapping, found {type(data).__name__}")
    from crmml.config import load_model

    try:
        return load_model(DriftPolicy, None, base=data)
    except ConfigError as exc:
        problems = [p.replace("defaults: key '", f"{path}: key 'drift.") for p in exc.problems]
        raise ConfigError(f"{path}: invalid drift policy", problems=problems) from None
