"""The evaluation core: one pure function from labels, scores and context to the report JSON."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from evaluation.bootstrap import bootstrap_overall, interval
from evaluation.config import EvalConfig
from evaluation.explanations import explain
from evaluation.fairness import audit_fairness
from evaluation.gate import evaluate_gate
from evaluation.metrics import (
    business_view,
    calibration_table,
    choose_threshold,
    gains_table,
    point_metrics,
)
from evaluation.policy import Policy
from evaluation.proxies import proxy_scan
from evaluation.sensitive import prepare_groups


def overall_with_ci(
    y_true: np.ndarray, y_score: np.ndarray, *, threshold: float, config: EvalConfig
) -> dict[str, dict]:
    """Each overall metric as ``{value, ci_low, ci_high}`` (percentile bootstrap)."""
    point = point_metrics(y_true, y_score, threshold=threshold, bins=config.calibration_bins)
    b = config.bootstrap
    samples = (
        bootstrap_overall(
            y_true,
            y_score,
            threshold=threshold,
            rounds=b.rounds,
            seed=b.seed,
            chunk=b.chunk,
            bins=config.calibration_bins,
        )
        if b.rounds
        else {}
    )
    out = {}
    for k, v in point.items():
        lo, hi = interval(samples[k], ci=b.ci) if k in samples else (None, None)
        out[k] = {"value": v, "ci_low": lo, "ci_high": hi}
    return out


def champion_comparison(
    y_true: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    *,
    threshold: float,
    champion_version: str | None = None,
    bins: int = 10,
) -> dict:
    """Both models' metrics on the same rows (the champion at the same threshold)."""
    a = point_metrics(y_true, challenger, threshold=threshold, bins=bins)
    b = point_metrics(y_true, champion, threshold=threshold, bins=bins)
    return {
        "champion_version": champion_version,
        "rows": float(len(y_true)),
        "challenger": a,
        "champion": b,
        "delta": {k: a[k] - b[k] for k in a},
    }


def evaluate_predictions(
    y_true: np.ndarray,
    y_score: np.ndarray,
    *,
    config: EvalConfig,
    policy: Policy,
    task: str,
    sensitive: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    contributions: Any | None = None,
    raw_score: np.ndarray | None = None,
    feature_specs: list[dict] | None = None,
    champion_score: np.ndarray | None = None,
    champion_version: str | None = None,
    model: dict | None = None,
    model_card: dict | None = None,
    evaluation_note: str | None = None,
    mitigation: dict | None = None,
) -> dict:
    """Every number of the report, as the JSON-ready dict written to ``evaluation.json``.

    Parameters
    ----------
    y_true, y_score : labels (0/1) and calibrated probabilities on the held-out test rows.
    sensitive : ``sensitive__*`` columns aligned with the rows (None: no fairness audit).
    features, contributions, raw_score : model inputs, their SHAP contributions on the raw
        log-odds scale and the raw scores (None: no explanations).
    champion_score : the current champion's probabilities on the same rows, if any.
    """
    y_true = np.asarray(y_true).astype(int)
    y_score = np.asarray(y_score, dtype=float)
    if y_true.shape != y_score.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_score)} scores")
    op = choose_threshold(y_score, config=config.operating_point, business=config.business)
    t = op["threshold"]
    fairness_cfg = config.fairness.model_copy(update={"min_group_size": policy.min_group_size})
    report: dict = {
        "task": task,
        "model": model or {},
        "rows": float(len(y_true)),
        "operating_point": op,
        "evaluation_note": evaluation_note,
        "overall": overall_with_ci(y_true, y_score, threshold=t, config=config),
        "calibration": {
            "bins": config.calibration_bins,
            "binning": "equal-width",
            "table": calibration_table(y_true, y_score, bins=config.calibration_bins),
        },
        "gains": gains_table(y_true, y_score),
        "business": business_view(y_true, y_score, config=config.business),
        "champion_comparison": None,
        "explanations": None,
        "fairness": None,
        "mitigation": mitigation,
        "model_card": model_card or {},
    }
    if champion_score is not None:
        report["champion_comparison"] = champion_comparison(
            y_true,
            y_score,
            np.asarray(champion_score, float),
            threshold=t,
            champion_version=champion_version,
            bins=config.calibration_bins,
        )
    specs = {f["name"]: f for f in feature_specs or []}
    sensitive_names = list(sensitive.columns) if sensitive is not None else []
    if contributions is not None and features is not None and raw_score is not None:
        n = min(len(features), len(contributions.values), config.explanations.max_rows)
        report["explanations"] = explain(
            _head(contributions, n),
            features.iloc[:n],
            np.asarray(raw_score)[:n],
            feature_names=list(features.columns),
            specs=specs,
            sensitive=sensitive_names,
            task=task,
            top_reasons=config.explanations.top_reasons,
            sample_rows=config.explanations.sample_rows,
        )
    if sensitive is not None and len(sensitive.columns):
        fairness = audit_fairness(
            y_true,
            y_score,
            sensitive,
            threshold=t,
            config=fairness_cfg,
            bootstrap=config.bootstrap,
        )
        fairness["proxies"] = []
        if features is not None:
            groups, _ = prepare_groups(sensitive.reset_index(drop=True), config=fairness_cfg)
            fairness["proxies"] = proxy_scan(
                features.reset_index(drop=True), groups, threshold=fairness_cfg.proxy_threshold
            )
        report["fairness"] = fairness
    report["gate"] = evaluate_gate(report, policy)
    return to_jsonable(report)


def _head(c: Any, n: int) -> SimpleNamespace:
    """The first ``n`` rows of a contributions object (SHAP is computed on a sample)."""
    return SimpleNamespace(
        values=np.asarray(c.values)[:n],
        base_value=c.base_value,
        explainer=getattr(c, "explainer", "unknown"),
        scale=getattr(c, "scale", "log-odds"),
    )


def to_jsonable(obj: Any) -> Any:
    """numpy scalars to Python, NaN/inf to None, tuples to lists (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        return float(obj) if np.isfinite(obj) else None
    return obj
