"""Optuna search per family (seeded TPE, LightGBM pruning) and the family choice.

Trials share the encoded rows (one encoder fit per encoder configuration, see
:mod:`training.encoding`) and LightGBM's binned Datasets. Every trial is a child run of the
job's parent run, logged with one ``log_batch`` call.
A LightGBM trial trains with the validation set evaluated after every round: Optuna's
``LightGBMPruningCallback`` (from ``optuna-integration``) stops a trial whose validation AUC
falls below the median of earlier trials (median pruner), and ``lightgbm.early_stopping``
ends it when the AUC stops improving; the best round becomes the refit's ``n_estimators``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import lightgbm
import numpy as np
import optuna
import pandas as pd
from optuna_integration import LightGBMPruningCallback
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from models.lgbm import VALID_NAME
from training.config import TuningConfig
from training.encoding import Encoded, EncodingCache, encode, is_sparse
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
    tuning_rows: int | None = None  # training rows the trials were fitted on


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

    The encoder is fitted on the training rows and the estimator on the encoded matrix (CSR
    for the scorecard, see :mod:`training.encoding`). For the ``lgbm`` family with
    ``X_valid``, the validation rows are encoded with the same encoder and the booster is
    evaluated on them every round (see :func:`fit_estimator`). Other families just fit.
    """
    lgbm_valid = _is_lgbm(pipeline) and X_valid is not None
    encoded = encode(
        pipeline.steps[0][1],
        X_train,
        y_train,
        X_valid if lgbm_valid else None,
        sparse=is_sparse(pipeline),
    )
    fit_estimator(
        pipeline.steps[-1][1],
        encoded,
        y_train,
        y_valid=y_valid if lgbm_valid else None,
        trial=trial,
        early_stopping_rounds=early_stopping_rounds,
    )
    return pipeline


def fit_estimator(
    model,
    encoded: Encoded,
    y_train,
    *,
    y_valid=None,
    trial=None,
    early_stopping_rounds: int | None = None,
    datasets=None,
):
    """Fit the pipeline's estimator on already encoded rows.

    A LightGBM estimator given ``y_valid`` (and ``encoded.valid``) is evaluated on the
    validation rows every round: ``optuna_integration.LightGBMPruningCallback`` raises
    ``optuna.TrialPruned`` when ``trial`` should be pruned, and ``lightgbm.early_stopping``
    keeps the best round (``best_iteration_``) when ``early_stopping_rounds`` is set.
    ``datasets`` are the same rows already binned by LightGBM (``BoosterClassifier.datasets``).
    """
    if getattr(model, "family", None) != "lgbm" or y_valid is None or encoded.valid is None:
        return model.fit(encoded.train, y_train)
    callbacks = []
    if trial is not None:
        callbacks.append(LightGBMPruningCallback(trial, "auc", valid_name=VALID_NAME))
    if early_stopping_rounds:
        callbacks.append(lightgbm.early_stopping(early_stopping_rounds, verbose=False))
    return model.fit(
        encoded.train,
        y_train,
        valid_set=(encoded.valid, y_valid),
        callbacks=callbacks,
        datasets=datasets,
    )


def _is_lgbm(pipeline) -> bool:
    return getattr(pipeline.steps[-1][1], "family", None) == "lgbm"


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
    # Trials differ in the estimator's params; the encoded rows are shared (training.encoding).
    encodings = EncodingCache(X_train, y_train, X_valid)
    binned: dict[str, object] = {}  # LightGBM bins the shared rows once too

    def objective(trial: optuna.Trial) -> float:
        params = models.suggest_params(family, trial)
        pipeline = models.make_pipeline(family, params, spec=spec, seed=seed)
        encoded = encodings.get(pipeline)
        model = pipeline.steps[-1][1]
        if family == "lgbm" and "data" not in binned:
            binned["data"] = model.datasets(
                encoded.train, y_train, valid_set=(encoded.valid, y_valid)
            )
        fit_estimator(
            model,
            encoded,
            y_train,
            y_valid=y_valid,
            trial=trial if family == "lgbm" and config.prune_lgbm else None,
            early_stopping_rounds=config.early_stopping_rounds,
            datasets=binned.get("data"),
        )
        rounds = getattr(model, "best_iteration_", None)
        if rounds is not None:
            trial.set_user_attr(BEST_ROUNDS, rounds)
        return float(roc_auc_score(y_valid, model.predict_proba(encoded.valid)[:, 1]))

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
    return FamilyResult(family, params, float(best.value), len(study.trials), pruned, len(X_train))


def refit(
    result: FamilyResult,
    *,
    spec,
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_valid: pd.DataFrame,
    y_valid: pd.Series,
    config: TuningConfig,
    seed: int,
) -> tuple[Pipeline, dict]:
    """The family's best configuration fitted on every training row (tuning used a sample).

    Returns the fitted pipeline and the parameters it was fitted with. The scorecard's ``C``
    multiplies the sum of the row losses, so the penalty per row that tuning chose takes
    ``C * tuning_rows / training_rows`` on all the rows (a solver then converges as fast as
    on the sample, instead of minutes for the L1 one on 500k rows). LightGBM's best round
    on the sample grows to ``rounds * sqrt(training_rows / tuning_rows)``
    (:func:`refit_rounds`).
    """
    import models

    params = dict(result.best_params)
    if result.family == "scorecard" and result.tuning_rows and len(X_train):
        params["C"] = float(params["C"]) * result.tuning_rows / len(X_train)
    if result.family == "lgbm" and result.tuning_rows:
        params["n_estimators"] = refit_rounds(
            int(params["n_estimators"]), result.tuning_rows, len(X_train)
        )
    pipeline = models.make_pipeline(result.family, params, spec=spec, seed=seed)
    return fit_pipeline(pipeline, X_train, y_train), params


def refit_rounds(rounds: int, tuning_rows: int, training_rows: int) -> int:
    """Boosting rounds for ``training_rows`` when ``rounds`` was the best on ``tuning_rows``.

    More rows carry more signal before the trees start fitting noise, so the best round
    grows with the data, about as its square root: on the churn benchmark (settled training
    rows, validation AUC) the best round went from 38 to 144 (learning rate 0.1) and from 201
    to 575 (0.05) for 7.8 times the rows. Never fewer rounds than on the sample.

    >>> refit_rounds(50, 50_000, 200_000)
    100
    """
    if training_rows <= tuning_rows:
        return rounds
    return max(rounds, round(rounds * math.sqrt(training_rows / tuning_rows)))


def _full_params(family: str, trial: optuna.trial.FrozenTrial) -> dict:
    """Replay the search space on the best trial's values (``suggest_params`` may add fixed
    params that are not Optuna distributions)."""
    import models

    fixed = optuna.trial.FixedTrial(trial.params, trial.number)
    params = models.suggest_params(family, fixed)
    if BEST_ROUNDS in trial.user_attrs:
        # Early stopping found the best round on the tuning rows (refit_rounds scales it).
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
