"""Evaluation stage: metrics, SHAP explanations, fairness audit, approval gate and reports.

The core is pure functions over labels, scores, sensitive columns and contributions;
:func:`evaluate_predictions` assembles ``evaluation.json``, :func:`write_reports` writes it and
renders HTML and Markdown from it. Registry decisions (verdict tags, approve, reject,
rollback, promotion log) live in ``evaluation.registry_ops``; ``evaluation.run`` evaluates a
registered version (``crmml evaluate``).
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): the CLI of every stage is imported by `crmml`; this package's core
# (scikit-learn, SciPy, fairlearn, SHAP) loads only when one of these names is used.
_EXPORTS = {
    "bootstrap_overall": "evaluation.bootstrap",
    "weight_chunks": "evaluation.bootstrap",
    "EvalConfig": "evaluation.config",
    "load_eval_config": "evaluation.config",
    "evaluate_predictions": "evaluation.evaluate",
    "overall_with_ci": "evaluation.evaluate",
    "to_jsonable": "evaluation.evaluate",
    "additivity_error": "evaluation.explanations",
    "explain": "evaluation.explanations",
    "global_importance": "evaluation.explanations",
    "INSUFFICIENT": "evaluation.fairness",
    "KEY_METRICS": "evaluation.fairness",
    "audit_fairness": "evaluation.fairness",
    "group_metrics": "evaluation.fairness",
    "evaluate_gate": "evaluation.gate",
    "business_view": "evaluation.metrics",
    "calibration_table": "evaluation.metrics",
    "choose_threshold": "evaluation.metrics",
    "expected_calibration_error": "evaluation.metrics",
    "gains_table": "evaluation.metrics",
    "point_metrics": "evaluation.metrics",
    "mitigate": "evaluation.mitigation",
    "Policy": "evaluation.policy",
    "default_policy_path": "evaluation.policy",
    "load_policy": "evaluation.policy",
    "cramers_v": "evaluation.proxies",
    "proxy_scan": "evaluation.proxies",
    "excluded_features": "evaluation.reasons",
    "phrase": "evaluation.reasons",
    "reason_codes": "evaluation.reasons",
    "render_html": "evaluation.report",
    "render_markdown": "evaluation.report",
    "write_reports": "evaluation.report",
    "prepare_groups": "evaluation.sensitive",
}

if TYPE_CHECKING:
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
