"""Fairness audit at the operating threshold: per-group metrics, disparities, bootstrap CIs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics import roc_auc_score

from evaluation.bootstrap import interval, weight_chunks
from evaluation.config import BootstrapConfig, EvalConfig, FairnessConfig
from evaluation.metrics import expected_calibration_error
from evaluation.sensitive import intersections, prepare_groups

INSUFFICIENT = "insufficient data"

# Which disparities matter for the use (assistive: a missed customer loses the offer, so TPR
# and selection-rate parity; punitive: a wrongly flagged customer is harmed, so FPR parity).
KEY_METRICS = {
    "assistive": [
        "demographic_parity_ratio",
        "demographic_parity_difference",
        "equal_opportunity_ratio",
        "equal_opportunity_difference",
    ],
    "punitive": [
        "fpr_ratio",
        "fpr_difference",
        "equalized_odds_ratio",
        "equalized_odds_difference",
    ],
}
DISPARITIES = [
    "demographic_parity_ratio",
    "demographic_parity_difference",
    "equalized_odds_ratio",
    "equalized_odds_difference",
    "equal_opportunity_ratio",
    "equal_opportunity_difference",
    "fpr_ratio",
    "fpr_difference",
]


def _rates(c: np.ndarray) -> dict[str, np.ndarray]:
    """Rates from cell counts ``[..., group, (tn, fp, fn, tp)]``."""
    tn, fp, fn, tp = (c[..., i] for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "selection_rate": (fp + tp) / (tn + fp + fn + tp),
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
        }


def _spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max - min and min / max over the group axis (last), ignoring undefined groups."""
    # An all-undefined round (e.g. no positives drawn) is NaN, left out of the interval.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if x.shape[-1] == 0:  # no group with sufficient data
            nan = np.full(x.shape[:-1], np.nan)
            return nan, nan
        hi, lo = np.nanmax(x, axis=-1), np.nanmin(x, axis=-1)
        return hi - lo, np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)


def disparities_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """fairlearn's between-group disparities from counts ``[..., group, 4]``."""
    r = _rates(counts)
    dp_d, dp_r = _spread(r["selection_rate"])
    tpr_d, tpr_r = _spread(r["tpr"])
    fpr_d, fpr_r = _spread(r["fpr"])
    return {
        "demographic_parity_ratio": dp_r,
        "demographic_parity_difference": dp_d,
        "equalized_odds_ratio": np.fmin(tpr_r, fpr_r),
        "equalized_odds_difference": np.fmax(tpr_d, fpr_d),
        "equal_opportunity_ratio": tpr_r,
        "equal_opportunity_difference": tpr_d,
        "fpr_ratio": fpr_r,
        "fpr_difference": fpr_d,
    }


def _nan_to_none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def group_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    labels: pd.Series,
    *,
    threshold: float,
    min_group_size: int,
) -> tuple[list[dict], np.ndarray, np.ndarray, list[str]]:
    """Per-group table, the cell code of each row, the sufficient-group mask and the names."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(y_score, dtype=float)
    pred = (s >= threshold).astype(int)
    names, g = np.unique(labels.to_numpy(str), return_inverse=True)
    codes = g * 4 + 2 * y + pred
    counts = np.bincount(codes, minlength=4 * len(names)).reshape(len(names), 4).astype(float)
    rates = _rates(counts)
    rows, ok = [], np.zeros(len(names), dtype=bool)
    for i, name in enumerate(names):
        m = g == i
        tn, fp, fn, tp = counts[i]
        n, pos = counts[i].sum(), fn + tp
        problems = []
        if n < min_group_size:
            problems.append(f"fewer than {min_group_size} rows")
        if pos == 0:
            problems.append("no positives")
        if pos == n:
            problems.append("no negatives")
        ok[i] = not problems
        both = 0 < pos < n
        rows.append(
            {
                "group": str(name),
                "count": float(n),
                "positives": float(pos),
                "base_rate": float(pos / n),
                "selection_rate": _nan_to_none(rates["selection_rate"][i]),
                "tpr": _nan_to_none(rates["tpr"][i]),
                "fpr": _nan_to_none(rates["fpr"][i]),
                "fnr": _nan_to_none(fn / pos) if pos else None,
                "precision": _nan_to_none(tp / (tp + fp)) if tp + fp else None,
                "auc": float(roc_auc_score(y[m], s[m])) if both else None,
                "mean_score": float(s[m].mean()),
                "calibration_gap": float(s[m].mean() - pos / n),
                "ece": expected_calibration_error(y[m], s[m]),
                "status": "ok" if ok[i] else INSUFFICIENT,
                "detail": "; ".join(problems),
            }
        )
    return rows, codes, ok, [str(x) for x in names]


def _bootstrap_disparities(
    parts: list[tuple[np.ndarray, np.ndarray, int]], n: int, boot: BootstrapConfig
) -> list[dict[str, np.ndarray]]:
    """Bootstrap disparities of several groupings with one draw of weights per chunk."""
    offsets = np.cumsum([0] + [4 * g for _, _, g in parts])
    all_codes = np.concatenate(
        [codes + off for (codes, _, _), off in zip(parts, offsets[:-1], strict=True)]
    )
    rows = np.tile(np.arange(n), len(parts))
    onehot = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, all_codes)), shape=(n, int(offsets[-1]))
    ).T.tocsr()
    out: list[dict[str, list]] = [{k: [] for k in DISPARITIES} for _ in parts]
    for w in weight_chunks(n, rounds=boot.rounds, seed=boot.seed, chunk=boot.chunk):
        counts = np.asarray(onehot @ w.T, dtype=np.float64).T  # rounds x all codes
        for i, (_, ok, g) in enumerate(parts):
            if ok.sum() < 2:
                continue
            c = counts[:, offsets[i] : offsets[i + 1]].reshape(len(w), g, 4)[:, ok]
            for k, v in disparities_from_counts(c).items():
                out[i][k].append(v)
    return [{k: np.concatenate(v) if v else np.empty(0) for k, v in o.items()} for o in out]


def audit_fairness(
    y_true: np.ndarray,
    y_score: np.ndarray,
    sensitive: pd.DataFrame,
    *,
    threshold: float,
    config: EvalConfig | FairnessConfig,
    bootstrap: BootstrapConfig | None = None,
) -> dict:
    """Audit every configured sensitive attribute and each pair of them at ``threshold``.

    Parameters
    ----------
    y_true, y_score : arrays of 0/1 labels and calibrated probabilities.
    sensitive : one column per attribute (``sensitive__x`` or ``x``), aligned with the rows.
    threshold : the operating threshold (``score >= threshold`` is selected).
    config : the evaluation config or just its fairness part.
    bootstrap : rounds and seed for the intervals (default: ``config.bootstrap`` or defaults).

    Returns
    -------
    dict with ``use``, ``key_metrics``, ``threshold``, ``min_group_size``, ``attributes`` and
    ``intersections`` (each: ``by_group``, ``disparities``, ``insufficient``, ...).
    """
    if isinstance(config, EvalConfig):
        bootstrap = bootstrap or config.bootstrap
        config = config.fairness
    boot = bootstrap or BootstrapConfig()
    y_true, y_score = np.asarray(y_true), np.asarray(y_score, dtype=float)
    sensitive = sensitive.reset_index(drop=True)
    groups, infos = prepare_groups(sensitive, config=config)
    labels = {("attributes", a): groups[a] for a in groups}
    if config.intersections:
        labels |= {("intersections", k): v for k, v in intersections(groups).items()}
    tables = {
        key: group_metrics(
            y_true, y_score, v, threshold=threshold, min_group_size=config.min_group_size
        )
        for key, v in labels.items()
    }
    parts = [(codes, ok, len(names)) for _, codes, ok, names in tables.values()]
    samples = _bootstrap_disparities(parts, len(y_true), boot) if boot.rounds else None
    out: dict[str, dict] = {"attributes": {}, "intersections": {}}
    for i, ((kind, name), (rows, codes, ok, names)) in enumerate(tables.items()):
        point = disparities_from_counts(
            np.bincount(codes, minlength=4 * len(names)).reshape(len(names), 4)[ok].astype(float)
        )
        enough = ok.sum() >= 2
        disp = {}
        for k in DISPARITIES:
            lo, hi = interval(samples[i][k], ci=boot.ci) if samples and enough else (None, None)
            disp[k] = {
                "value": _nan_to_none(point[k]) if enough else None,
                "ci_low": _nan_to_none(lo),
                "ci_high": _nan_to_none(hi),
            }
        out[kind][name] = {
            **infos.get(name, {}),
            "groups_compared": [n for n, k in zip(names, ok, strict=True) if k],
            "by_group": rows,
            "disparities": disp,
            "insufficient": [r["group"] for r in rows if r["status"] == INSUFFICIENT],
            "note": None if enough else "fewer than 2 groups with sufficient data to compare",
        }
    return {
        "use": config.use,
        "key_metrics": KEY_METRICS[config.use],
        "threshold": float(threshold),
        "min_group_size": config.min_group_size,
        "bootstrap_rounds": boot.rounds,
        "attributes": out["attributes"],
        "intersections": out["intersections"],
    }
