"""Optuna search per family (seeded TPE, LightGBM pruning) and the family choice.

Every trial is a child run of the job's parent run, logged with one ``log_batch`` call.
A LightGBM trial trains with the validation set evaluated after every round: Optuna's
``LightGBMPruningCallback`` (from ``optuna-integration``) stops a trial whose validation AUC
falls below the median of earlier trials (median pruner), and ``lightgbm.early_stopping``
ends it when the AUC stops improving; the best round becomes the refit's ``n_estimators``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lightgbm
import numpy as np
import optuna
import pandas as pd
from optuna_integration import LightGBMPruningCallback
from sklearn.metrics import roc_auc_score

from models.lgbm import VALID_NAME
from training.config import TuningConfig
from training.tracking import log_batch

TrialCallback = Callable[[str, int, float | None, str], None]
BEST_ROUNDS = "best_iteration"


@dataclass(frozen=True)
class FamilyResult:
    family: str
    best_params: dict
    best_valid_auc: float
    trials: int
    pruned: int


def valid_auc(pipeline, X: pd.DataFrame, y: pd.Series) -> float:
    """Validation ROC AUC of a fitted pipeline's positive-class probability."""
    return float(roc_auc_score(y, pipeline.predict_proba(X)[:, 1]))


def fit_pipeline(
    pipeline,
    X_train,
    y_train,
    *,
    X_valid=None,
    y_valid=None,
    trial=None,
    early_stopping_rounds: int | None = None,
):
    """Fit ``pipeline``; LightGBM with validation rows is pruned and stopped early while it fits.

    For the ``lgbm`` family with ``X_valid``, the encoder is fitted on the training rows, the
    validation rows are encoded with it, and the booster is evaluated on them every round:
    ``optuna_integration.LightGBMPruningCallback`` raises ``optuna.TrialPruned`` when ``trial``
    should be pruned, and ``lightgbm.early_stopping`` keeps the best round
    (``best_iteration_``) when ``early_stopping_rounds`` is set. Other families just fit.
    """
    model = pipeline.steps[-1][1]
    if getattr(model, "family", None) != "lgbm" or X_valid is None:
        return pipeline.fit(X_train, y_train)
    callbacks = []
    if trial is not None:
        callbacks.append(LightGBMPruningCallback(trial, "auc", valid_name=VALID_NAME))
    if early_stopping_rounds:
        callbacks.append(lightgbm.early_stopping(early_stopping_rounds, verbose=False))
    encode = pipeline[:-1]
    Xt = encode.fit_transform(X_train, y_train)
    model.fit(Xt, y_train, valid_set=(encode.transform(X_valid), y_valid), callbacks=callbacks)
    return pipeline


def tune_family(
    family: str,
    *,
    spec,
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_valid: pd.DataFrame,
    y_valid: pd.Series,
    config: TuningConfig,
    seed: int,
    client,
    experiment_id: str,
    parent_run_id: str,
    on_trial: TrialCallback | None = None,
) -> FamilyResult:
    """Search ``family``'s space with seeded TPE; each trial is a child run of the parent."""
    import models

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
    if family == "lgbm" and config.prune_lgbm:
        pruner = optuna.pruners.MedianPruner(
            n_startup_trials=config.pruner_startup_trials,
            n_warmup_steps=config.pruner_warmup_steps,
        )
    study = optuna.create_study(
        direction="maximize", sampler=sampler, pruner=pruner, study_name=f"crmml-{family}"
    )
    study.enqueue_trial(models.starting_trial(family))

    def objective(trial: optuna.Trial) -> float:
        params = models.suggest_params(family, trial)
        pipeline = models.make_pipeline(family, params, spec=spec, seed=seed)
        fit_pipeline(
            pipeline,
            X_train,
            y_train,
            X_valid=X_valid,
            y_valid=y_valid,
            trial=trial if family == "lgbm" and config.prune_lgbm else None,
            early_stopping_rounds=config.early_stopping_rounds,
        )
        rounds = getattr(pipeline.steps[-1][1], "best_iteration_", None)
        if rounds is not None:
            trial.set_user_attr(BEST_ROUNDS, rounds)
        return valid_auc(pipeline, X_valid, y_valid)

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        state = trial.state.name
        value = trial.value
        if value is None and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        run = client.create_run(
            experiment_id,
            run_name=f"{family}-trial-{trial.number:03d}",
            tags={"mlflow.parentRunId": parent_run_id},
        )
        seconds = trial.duration.total_seconds() if trial.duration else None
        log_batch(
            client,
            run.info.run_id,
            params={**trial.params, "family": family, "trial": trial.number},
            metrics={
                "valid_roc_auc": value,
                "fit_seconds": seconds,
                BEST_ROUNDS: trial.user_attrs.get(BEST_ROUNDS),
            },
            tags={"crmml.family": family, "crmml.trial_state": state},
        )
        client.set_terminated(run.info.run_id, "FINISHED" if state == "COMPLETE" else "KILLED")
        if on_trial is not None:
            on_trial(family, trial.number, value, state)

    study.optimize(
        objective,
        n_trials=config.trials,
        timeout=config.timeout,
        callbacks=[log_trial],
        gc_after_trial=False,
    )
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    if not complete:
        # Only pruned trials (or none before the timeout): fall back to the defaults.
        params = models.default_params(family)
        pipeline = models.make_pipeline(family, params, spec=spec, seed=seed)
        auc = valid_auc(fit_pipeline(pipeline, X_train, y_train), X_valid, y_valid)
        return FamilyResult(family, params, auc, len(study.trials), pruned)
    best = study.best_trial
    params = _full_params(family, best)
    return FamilyResult(family, params, float(best.value), len(study.trials), pruned)


def _full_params(family: str, trial: optuna.trial.FrozenTrial) -> dict:
    """Replay the search space on the best trial's values (``suggest_params`` may add fixed
    params that are not Optuna distributions)."""
    import models

    fixed = optuna.trial.FixedTrial(trial.params, trial.number)
    params = models.suggest_params(family, fixed)
    if BEST_ROUNDS in trial.user_attrs:
        # Early stopping found the best round: the refit trains exactly that many.
        params["n_estimators"] = int(trial.user_attrs[BEST_ROUNDS])
    return params


def tuning_sample(
    X: pd.DataFrame, y: pd.Series, max_rows: int | None, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """A seeded random sample of at most ``max_rows`` training rows (all rows if fewer).

    Tuning compares configurations, which a sample does as well at a fraction of the cost;
    the chosen configuration is refitted on every training row.
    """
    if max_rows is None or len(X) <= max_rows:
        return X, y
    rows = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
    return X.iloc[rows], y.iloc[rows]


def select_family(
    results: dict[str, float], *, preference: tuple[str, ...], tolerance: float
) -> str:
    """Best validation AUC, but the most interpretable family within ``tolerance`` of it wins.

    >>> select_family({"scorecard": 0.80, "lgbm": 0.805}, preference=("scorecard", "lgbm"),
    ...               tolerance=0.01)
    'scorecard'
    """
    finite = {f: a for f, a in results.items() if np.isfinite(a)}
    best = max(finite.values())
    close = [f for f, a in finite.items() if a >= best - tolerance]
    order = {f: i for i, f in enumerate(preference)}
    return min(close, key=lambda f: (order.get(f, len(order)), -finite[f]))
