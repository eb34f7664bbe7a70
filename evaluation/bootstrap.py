"""Vectorised bootstrap: Poisson(1) weights as a (rounds x n) matrix, processed in chunks.

Hand-written because fairlearn's ``MetricFrame(n_boot=...)`` refits every metric per round
(minutes on 100k rows); here each chunk of rounds is one matrix product, so 1,000 rounds over
100k rows take seconds and memory stays at ``chunk x n`` float32.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

_EPS = 1e-15


def weight_chunks(n: int, *, rounds: int, seed: int, chunk: int) -> Iterator[np.ndarray]:
    """Poisson(1) bootstrap weights, ``rounds`` rows in all, at most ``chunk`` at a time."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < rounds:
        size = min(chunk, rounds - done)
        yield rng.poisson(1.0, size=(size, n)).astype(np.float32)
        done += size


def interval(samples: np.ndarray, *, ci: float) -> tuple[float, float]:
    """Percentile interval of bootstrap samples, ignoring rounds where the metric is undefined."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(samples, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return float(lo), float(hi)


def rank_groups(score: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Descending order of ``score`` and the starts of its tie groups (None: no ties)."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    s = np.asarray(score)[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, (None if len(starts) == len(s) else starts)


def weighted_auc_ap(
    weights: np.ndarray, y_sorted: np.ndarray, starts: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted ROC AUC and average precision per round (ties as in scikit-learn).

    ``weights`` and ``y_sorted`` are in descending score order (see :func:`rank_groups`); the
    rows' weights are i.i.d., so sorting the data once replaces a gather per chunk.
    """
    pos = weights * y_sorted.astype(np.float32)
    neg = weights - pos
    if starts is not None:
        pos, neg = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(neg, starts, axis=1)
    # Integer weights: float32 cumulative sums stay exact below 2**24.
    tp, fp = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    p_tot, n_tot = tp[:, -1].astype(np.float64), fp[:, -1].astype(np.float64)
    neg_below = fp[:, -1:] - fp + 0.5 * neg  # negatives ranked below, ties count half
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * neg_below).sum(1, dtype=np.float64) / (p_tot * n_tot)
        prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-30), 0.0)
        ap = (pos * prec).sum(1, dtype=np.float64) / p_tot
    return auc, ap


def bootstrap_overall(
    y_true: np.ndarray,
    y_score: np.ndarray,
    *,
    threshold: float,
    rounds: int,
    seed: int = 0,
    chunk: int = 50,
    bins: int = 10,
) -> dict[str, np.ndarray]:
    """Bootstrap samples of the overall metrics (names as in ``metrics.point_metrics``)."""
    order, starts = rank_groups(y_score)
    y = np.asarray(y_true, dtype=np.float64)[order]
    s = np.asarray(y_score, dtype=np.float64)[order]
    sc = np.clip(s, _EPS, 1 - _EPS)
    pred = (s >= threshold).astype(np.float64)
    b = np.clip((s * bins).astype(int), 0, bins - 1)
    onehot = np.eye(bins)[b]
    cols = np.column_stack(
        [
            np.ones_like(y),
            y,
            (s - y) ** 2,
            -(y * np.log(sc) + (1 - y) * np.log(1 - sc)),
            pred,
            pred * y,
            onehot,
            onehot * s[:, None],
            onehot * y[:, None],
        ]
    ).astype(np.float32)
    out: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "roc_auc",
            "pr_auc",
            "brier",
            "log_loss",
            "ece",
            "precision",
            "recall",
            "selection_rate",
            "base_rate",
        )
    }
    for w in weight_chunks(len(y), rounds=rounds, seed=seed, chunk=chunk):
        m = (w @ cols).astype(np.float64)
        tot, pos, sq, ll, sel, tp = (m[:, i] for i in range(6))
        ssum, ysum = m[:, 6 + bins : 6 + 2 * bins], m[:, 6 + 2 * bins :]
        auc, ap = weighted_auc_ap(w, y, starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["roc_auc"].append(auc)
            out["pr_auc"].append(ap)
            out["brier"].append(sq / tot)
            out["log_loss"].append(ll / tot)
            out["ece"].append(np.abs(ssum - ysum).sum(1) / tot)
            out["precision"].append(tp / sel)
            out["recall"].append(tp / pos)
            out["selection_rate"].append(sel / tot)
            out["base_rate"].append(pos / tot)
    return {k: np.concatenate(v) if v else np.empty(0) for k, v in out.items()}
