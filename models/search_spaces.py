"""Each family's default parameters and Optuna search space."""

from __future__ import annotations

from typing import Any

from crmml.errors import CrmmlError

FAMILIES = ("scorecard", "tree", "lgbm")

_DEFAULTS: dict[str, dict[str, Any]] = {
    "scorecard": {"C": 1.0, "n_bins": 5, "penalty": "l2", "min_frequency": 5},
    "tree": {"max_depth": 3, "min_samples_leaf": 50, "ccp_alpha": 0.0, "min_frequency": 5},
    "lgbm": {
        "num_leaves": 15,
        "learning_rate": 0.05,
        "n_estimators": 200,
        "min_child_samples": 20,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.9,
        "lambda_l2": 1.0,
        "min_frequency": 5,
    },
}


# The first trial of each search: a known-good point. For LightGBM that is the library's own
# defaults (what a plain ``LGBMClassifier()`` uses), with ``n_estimators`` as the early-stopping
# ceiling, so tuning starts from the usual baseline instead of hoping random draws reach it.
_START: dict[str, dict[str, Any]] = {
    "scorecard": {"C": 0.1, "n_bins": 5, "penalty": "l2"},
    "tree": {"max_depth": 3, "min_samples_leaf": 50, "ccp_alpha": 0.0},
    "lgbm": {
        "num_leaves": 31,
        "learning_rate": 0.1,
        "n_estimators": 1000,
        "min_child_samples": 20,
        "feature_fraction": 1.0,
        "bagging_fraction": 1.0,
        "lambda_l2": 1e-3,
    },
}


def check_family(family: str) -> str:
    if family not in FAMILIES:
        raise CrmmlError(f"model family: unknown {family!r}; expected one of {list(FAMILIES)}")
    return family


def default_params(family: str) -> dict[str, Any]:
    """The family's default parameters (a fresh dict)."""
    return dict(_DEFAULTS[check_family(family)])


def starting_trial(family: str) -> dict[str, Any]:
    """Values of the search space's parameters to try first (``Study.enqueue_trial``)."""
    return dict(_START[check_family(family)])


def suggest_params(family: str, trial: Any) -> dict[str, Any]:
    """Draw one parameter set for ``family`` from an :class:`optuna.Trial`.

    Spaces are kept small and business-readable: a scorecard of 3-10 bins per feature, a
    tree of depth 2-4, a LightGBM of at most 63 leaves per tree. LightGBM's ``n_estimators``
    is a ceiling: tuning stops early on the validation AUC and refits the best round.
    """
    check_family(family)
    if family == "scorecard":
        return {
            # Above C = 1 the validation AUC no longer moves on CRM data, while the L1 solver
            # (liblinear) needs ever more iterations: 10-30 s a fit at C = 1-10, 50k rows.
            "C": trial.suggest_float("C", 1e-3, 1.0, log=True),
            "n_bins": trial.suggest_int("n_bins", 3, 10),
            "penalty": trial.suggest_categorical("penalty", ["l2", "l1"]),
            "min_frequency": 5,
        }
    if family == "tree":
        return {
            "max_depth": trial.suggest_int("max_depth", 2, 4),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 10, 200, log=True),
            "ccp_alpha": trial.suggest_float("ccp_alpha", 0.0, 0.01),
            "min_frequency": 5,
        }
    return {
        "num_leaves": trial.suggest_int("num_leaves", 4, 63, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "n_estimators": trial.suggest_int("n_estimators", 100, 1000, step=50),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 200, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
        "min_frequency": 5,
    }
