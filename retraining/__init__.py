"""Retraining: one locked, idempotent job from a CRM export to a promoted (or waiting) model.

:func:`retrain` runs gate -> features -> challenger -> evaluation -> promotion under the
tracking store's lock (:func:`retrain_lock`); :func:`run_schedule` fires it on a cron;
:func:`erase` and :func:`load_suppressed` keep erased customers out of future training sets.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): `crmml --help` imports the CLI, which must not pull in
# pandas, MLflow and the evaluation stage just to print help.
_EXPORTS = {
    "AlreadyRunning": "retraining.lock",
    "BLOCKED_EXIT": "retraining.job",
    "LOCKED_EXIT": "retraining.lock",
    "RetrainBlocked": "retraining.job",
    "RetrainConfig": "retraining.config",
    "RetrainOptions": "retraining.job",
    "TaskOutcome": "retraining.summary",
    "acquire_lease": "retraining.lock",
    "build_summary": "retraining.summary",
    "cron_trigger": "retraining.schedule",
    "default_work": "retraining.job",
    "erase": "retraining.erasure",
    "lease_path": "retraining.lock",
    "load_retrain_config": "retraining.config",
    "load_suppressed": "retraining.erasure",
    "reconcile_promotion_log": "retraining.promotion",
    "retrain": "retraining.job",
    "retrain_lock": "retraining.lock",
    "run_schedule": "retraining.schedule",
    "suppress_training_sets": "retraining.erasure",
    "suppression_path": "retraining.erasure",
    "versions_trained_on": "retraining.erasure",
    "write_summary": "retraining.summary",
}

if TYPE_CHECKING:
    from retraining.config import RetrainConfig, load_retrain_config
    from retraining.erasure import (
        erase,
        load_suppressed,
        suppress_training_sets,
        suppression_path,
        versions_trained_on,
    )
    from retraining.job import (
        BLOCKED_EXIT,
        RetrainBlocked,
        RetrainOptions,
        default_work,
        reconcile_promotion_log,
        retrain,
    )
    from retraining.lock import (
        LOCKED_EXIT,
        AlreadyRunning,
        acquire_lease,
        lease_path,
        retrain_lock,
    )
    from retraining.schedule import cron_trigger, run_schedule
    from retraining.summary import TaskOutcome, build_summary, write_summary


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "AlreadyRunning",
    "BLOCKED_EXIT",
    "LOCKED_EXIT",
    "RetrainBlocked",
    "RetrainConfig",
    "RetrainOptions",
    "TaskOutcome",
    "acquire_lease",
    "build_summary",
    "cron_trigger",
    "default_work",
    "erase",
    "lease_path",
    "load_retrain_config",
    "load_suppressed",
    "reconcile_promotion_log",
    "retrain",
    "retrain_lock",
    "run_schedule",
    "suppress_training_sets",
    "suppression_path",
    "versions_trained_on",
    "write_summary",
]
