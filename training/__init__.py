"""Training stage: time split, leakage guard, Optuna tuning, MLflow tracking and registry.

The core is :func:`train_task`; ``crmml train`` is its command line. Evaluation rebuilds the
test set of a run with :func:`split_frame` from the run's ``split.json``.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): `crmml --help` imports training.cli, which must not pull in
# scikit-learn, MLflow and LightGBM just to print help.
_EXPORTS = {
    "TrainConfig": "training.config",
    "load_train_config": "training.config",
    "TrainingSet": "training.data",
    "load_training_set": "training.data",
    "TrainResult": "training.job",
    "train_task": "training.job",
    "Suspect": "training.leakage",
    "check_leakage": "training.leakage",
    "find_leaks": "training.leakage",
    "registered_name": "training.registry",
    "plan_split": "training.split",
    "split_frame": "training.split",
    "ensure_reachable": "training.tracking",
    "resolve_tracking_uri": "training.tracking",
}

if TYPE_CHECKING:
    from training.config import TrainConfig, load_train_config
    from training.data import TrainingSet, load_training_set
    from training.job import TrainResult, train_task
    from training.leakage import Suspect, check_leakage, find_leaks
    from training.registry import registered_name
    from training.split import plan_split, split_frame
    from training.tracking import ensure_reachable, resolve_tracking_uri


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "Suspect",
    "TrainConfig",
    "TrainResult",
    "TrainingSet",
    "check_leakage",
    "ensure_reachable",
    "find_leaks",
    "load_train_config",
    "load_training_set",
    "plan_split",
    "registered_name",
    "resolve_tracking_uri",
    "split_frame",
    "train_task",
]
