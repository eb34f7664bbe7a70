"""Evaluation stage: metrics, SHAP explanations, fairness audit, approval gate and reports.

The core is pure functions over labels, scores, sensitive columns and contributions;
:func:`evaluate_predictions` assembles ``evaluation.json``, :func:`write_reports` writes it and
renders HTML and Markdown from it. Registry decisions (verdict tags, approve, reject,
rollback, promotion log) live in ``evaluation.registry_ops``; ``evaluation.run`` evaluates a
registered version (``crmml evaluate``).
"""

from evaluation.bootstrap import bootstrap_overall, weight_chunks
from evaluation.config import EvalConfig, load_eval_config
from evaluation.evaluate import evaluate_predictions, overall_with_ci, to_jsonable
from evaluation.explanations import additivity_error, explain, global_importance
from evaluation.fairness import INSUFFICIENT, KEY_METRICS, audit_fairness, group_metrics
from evaluation.gate import evaluate_gate
from evaluation.metrics import (
    business_view,
    calibration_table,
    choose_threshold,
    expected_calibration_error,
    gains_table,
    point_metrics,
)
from evaluation.mitigation import mitigate
from evaluation.policy import Policy, default_policy_path, load_policy
from evaluation.proxies import cramers_v, proxy_scan
from evaluation.reasons import excluded_features, phrase, reason_codes
from evaluation.report import render_html, render_markdown, write_reports
from evaluation.sensitive import prepare_groups

__all__ = [
    "INSUFFICIENT",
    "KEY_METRICS",
    "EvalConfig",
    "Policy",
    "additivity_error",
    "audit_fairness",
    "bootstrap_overall",
    "business_view",
    "calibration_table",
    "choose_threshold",
    "cramers_v",
    "default_policy_path",
    "evaluate_gate",
    "evaluate_predictions",
    "excluded_features",
    "expected_calibration_error",
    "explain",
    "gains_table",
    "global_importance",
    "group_metrics",
    "load_eval_config",
    "load_policy",
    "mitigate",
    "overall_with_ci",
    "phrase",
    "point_metrics",
    "prepare_groups",
    "proxy_scan",
    "reason_codes",
    "render_html",
    "render_markdown",
    "to_jsonable",
    "weight_chunks",
    "write_reports",
]
