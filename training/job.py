"""The training job: split, guard, tune, choose, calibrate, log, register (in that order)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from training import run_log
from training.config import TrainConfig, validate_train_config
from training.data import LABEL, check_task, load_training_set, model_manifest
from training.leakage import check_leakage
from training.metrics import binary_metrics, prefixed
from training.registry import register_model, registered_name
from training.split import (
    describe_split,
    plan_split,
    settled_before_validation,
    split_frame,
)
from training.tracking import (
    ensure_reachable,
    fail_fast_http,
    get_or_create_experiment,
    log_batch,
    resolve_tracking_uri,
)
from training.tuning import (
    TrialCallback,
    refit,
    select_family,
    tune_family,
    tuning_sample,
)


@dataclass(frozen=True)
class TrainResult:
    """What a training job produced (the run holds everything else)."""

    task: str
    run_id: str
    experiment_id: str
    tracking_uri: str
    family: str
    metrics: dict[str, float]
    family_auc: dict[str, float]
    split: dict
    model_uri: str
    model_name: str | None = None
    model_version: str | None = None
    allowed_leaks: list[str] = field(default_factory=list)

    @property
    def registered_uri(self) -> str | None:
        if self.model_version is None:
            return None
        return f"models:/{self.model_name}/{self.model_version}"


def train_task(
    *,
    task: str,
    features_dir: Path,
    families: tuple[str, ...] | list[str] | None = None,
    trials: int | None = None,
    timeout: float | None = None,
    seed: int | None = None,
    config: TrainConfig | None = None,
    on_trial: TrialCallback | None = None,
) -> TrainResult:
    """Train, track and register the model of ``task`` from a ``crmml features`` folder.

    Parameters
    ----------
    task : {"churn", "repurchase", "lead_score"}
    features_dir : Path
        Output folder of ``crmml features`` (``manifest.json`` + ``<task>.parquet``).
    families, trials, timeout, seed
        Override the config (``timeout`` is seconds of tuning per family).
    config : TrainConfig, optional
        Defaults when omitted.
    on_trial : callable, optional
        Called as ``on_trial(family, number, valid_auc, state)`` after each trial (progress).

    Raises
    ------
    CrmmlError
        Bad task or data, suspected leakage, unreachable tracking store, failed registration.
        Nothing is registered unless every other step succeeded.
    """
    import mlflow
    from mlflow import MlflowClient

    import models

    cfg = _with_overrides(config or TrainConfig(), families, trials, timeout, seed)
    check_task(task)
    uri = resolve_tracking_uri()
    ensure_reachable(uri, timeout=cfg.tracking.reachability_timeout)
    ts = load_training_set(features_dir, task=task)
    spec = models.FeatureSpec.from_manifest(
        model_manifest(ts, monotone=cfg.monotone),
        allow_sensitive=cfg.allow_sensitive,
        exclude=cfg.exclude,
    )
    split_meta = plan_split(ts.frame, kind=ts.split_kind, config=cfg.split)
    train, valid, test = split_frame(ts.frame, ts.task_manifest, split_meta)
    cols = list(spec.features)
    X_train, y_train = train[cols], train[LABEL]
    X_valid, y_valid = valid[cols], valid[LABEL]
    X_test, y_test = test[cols], test[LABEL]
    # Tuning (and the leakage guard) use a seeded sample of the training rows whose outcome
    # was known before validation starts; a leak shows in a sample's univariate AUC as well,
    # at a tenth of the cost on large training sets.
    settled = settled_before_validation(train, split_meta, ts.task_manifest.get("window_days"))
    X_settled, y_settled = X_train[settled], y_train[settled]
    X_tune, y_tune = tuning_sample(X_settled, y_settled, cfg.tuning.max_rows, cfg.seed)
    allowed = check_leakage(
        X_tune,
        y_tune,
        numeric=list(spec.numeric),
        categorical=list(spec.categorical),
        threshold=cfg.leakage.auc_threshold,
        allow=cfg.leakage.allow,
        smoothing=cfg.leakage.smoothing,
    )

    with fail_fast_http(timeout=cfg.tracking.http_request_timeout):
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        # Under `mlflow run` (MLproject) the project's run is the parent run of this job.
        outer = os.environ.get("MLFLOW_RUN_ID")
        exp_id = (
            client.get_run(outer).info.experiment_id
            if outer
            else get_or_create_experiment(
                client, f"{cfg.tracking.experiment_prefix}{task}", tracking_uri=uri
            )
        )
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{task}-train") as run:
            run_id = run.info.run_id
            tags = run_log.run_tags(ts, split_meta, spec, cfg)
            log_batch(
                client, run_id, params=run_log.run_params(ts, split_meta, spec, cfg), tags=tags
            )
            run_log.log_context(
                ts, split_meta, cfg, allowed, {"train": train, "valid": valid, "test": test}, cols
            )
            results = {}
            for family in cfg.families:
                rows = cfg.tuning.rows_for(family)
                X_fam, y_fam = (
                    (X_tune, y_tune)
                    if rows == cfg.tuning.max_rows
                    else tuning_sample(X_settled, y_settled, rows, cfg.seed)
                )
                results[family] = tune_family(
                    family,
                    spec=spec,
                    X_train=X_fam,
                    y_train=y_fam,
                    X_valid=X_valid,
                    y_valid=y_valid,
                    config=cfg.tuning,
                    seed=cfg.seed,
                    client=client,
                    experiment_id=exp_id,
                    parent_run_id=run_id,
                    on_trial=on_trial,
                )
            family_auc = {f: r.best_valid_auc for f, r in results.items()}
            chosen = select_family(
                family_auc,
                preference=cfg.selection.preference,
                tolerance=cfg.selection.auc_tolerance,
            )
            best = results[chosen]
            # Refit on all training rows (tuning may have used a sample); the calibration is
            # fitted on the validation rows.
            pipeline, best_params = refit(
                best,
                spec=spec,
                X_train=X_train,
                y_train=y_train,
                X_valid=X_valid,
                y_valid=y_valid,
                config=cfg.tuning,
                seed=cfg.seed,
            )
            model = models.calibrate(pipeline, X_valid, y_valid, method=cfg.calibration)
            metrics = {
                **prefixed(binary_metrics(y_valid, model.predict_proba(X_valid)[:, 1]), "valid"),
                **prefixed(binary_metrics(y_test, model.predict_proba(X_test)[:, 1]), "test"),
                **{f"{f}_best_valid_roc_auc": a for f, a in family_auc.items()},
                **{f"{f}_trials": float(r.trials) for f, r in results.items()},
            }
            log_batch(
                client,
                run_id,
                metrics=metrics,
                params={"family": chosen, **{f"best_{k}": v for k, v in best_params.items()}},
                tags={"crmml.family": chosen},
            )
            info = run_log.log_model(model, ts, spec, cfg, chosen, split_meta, X_train)
            version = None
            if cfg.tracking.register_model:
                version = register_model(
                    client,
                    task=task,
                    model_uri=info.model_uri,
                    run_id=run_id,
                    model_id=getattr(info, "model_id", None),
                    alias=cfg.tracking.alias,
                    tags={**run_log.version_tags(ts, split_meta, chosen), "run_id": run_id},
                    description=f"{chosen} model of {task}; {describe_split(split_meta)}",
                )
                mlflow.set_tag("crmml.registered_version", str(version.version))
    return TrainResult(
        task=task,
        run_id=run_id,
        experiment_id=exp_id,
        tracking_uri=uri,
        family=chosen,
        metrics=metrics,
        family_auc=family_auc,
        split=split_meta,
        model_uri=info.model_uri,
        model_name=registered_name(task) if version else None,
        model_version=str(version.version) if version else None,
        allowed_leaks=[s.feature for s in allowed],
    )


def _with_overrides(cfg: TrainConfig, families, trials, timeout, seed) -> TrainConfig:
    data = cfg.model_dump()
    if families:
        data["families"] = tuple(families)
    if trials is not None:
        data["tuning"]["trials"] = trials
    if timeout is not None:
        data["tuning"]["timeout"] = timeout
    if seed is not None:
        data["seed"] = seed
    return validate_train_config(data, source="training options")
