"""The training job: split, guard, tune, choose, calibrate, log, register (in that order)."""

from __future__ import annotations

import json
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from training.config import TrainConfig, validate_train_config
from training.data import LABEL, TrainingSet, check_task, load_training_set, model_manifest
from training.example import synthetic_example
from training.leakage import check_leakage
from training.metrics import binary_metrics, prefixed
from training.registry import register_model, registered_name
from training.split import describe_split, plan_split, split_frame
from training.tracking import (
    ensure_reachable,
    fail_fast_http,
    get_or_create_experiment,
    log_batch,
    resolve_tracking_uri,
)
from training.tuning import TrialCallback, fit_pipeline, select_family, tune_family


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
    allowed = check_leakage(
        X_train, y_train, numeric=list(spec.numeric), categorical=list(spec.categorical),
        threshold=cfg.leakage.auc_threshold, allow=cfg.leakage.allow,
        smoothing=cfg.leakage.smoothing,
    )

    with fail_fast_http(timeout=cfg.tracking.http_request_timeout):
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        exp_id = get_or_create_experiment(
            client, f"{cfg.tracking.experiment_prefix}{task}", tracking_uri=uri
        )
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{task}-train") as run:
            run_id = run.info.run_id
            tags = _run_tags(ts, split_meta, spec, cfg)
            log_batch(client, run_id, params=_run_params(ts, split_meta, spec, cfg), tags=tags)
            _log_context(ts, split_meta, cfg, allowed, {"train": train, "valid": valid,
                                                         "test": test}, cols)
            results = {}
            for family in cfg.families:
                results[family] = tune_family(
                    family, spec=spec, X_train=X_train, y_train=y_train, X_valid=X_valid,
                    y_valid=y_valid, config=cfg.tuning, seed=cfg.seed, client=client,
                    experiment_id=exp_id, parent_run_id=run_id, on_trial=on_trial,
                )
            family_auc = {f: r.best_valid_auc for f, r in results.items()}
            chosen = select_family(
                family_auc, preference=cfg.selection.preference,
                tolerance=cfg.selection.auc_tolerance,
            )
            best = results[chosen]
            # Refit on the training snapshots only: validation stays held out for calibration.
            pipeline = models.make_pipeline(chosen, best.best_params, spec=spec, seed=cfg.seed)
            fit_pipeline(pipeline, X_train, y_train)
            model = models.calibrate(pipeline, X_valid, y_valid, method=cfg.calibration)
            metrics = {
                **prefixed(binary_metrics(y_valid, model.predict_proba(X_valid)[:, 1]), "valid"),
                **prefixed(binary_metrics(y_test, model.predict_proba(X_test)[:, 1]), "test"),
                **{f"{f}_best_valid_roc_auc": a for f, a in family_auc.items()},
                **{f"{f}_trials": float(r.trials) for f, r in results.items()},
            }
            log_batch(
                client, run_id, metrics=metrics,
                params={"family": chosen, **{f"best_{k}": v for k, v in best.best_params.items()}},
                tags={"crmml.family": chosen},
            )
            info = _log_model(model, ts, spec, cfg, chosen, split_meta, X_train)
            version = None
            if cfg.tracking.register_model:
                version = register_model(
                    client, task=task, model_uri=info.model_uri, run_id=run_id,
                    model_id=getattr(info, "model_id", None), alias=cfg.tracking.alias,
                    tags={**_version_tags(ts, split_meta, chosen), "run_id": run_id},
                    description=f"{chosen} model of {task}; {describe_split(split_meta)}",
                )
                mlflow.set_tag("crmml.registered_version", str(version.version))
    return TrainResult(
        task=task, run_id=run_id, experiment_id=exp_id, tracking_uri=uri, family=chosen,
        metrics=metrics, family_auc=family_auc, split=split_meta, model_uri=info.model_uri,
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


def git_commit() -> str:
    """``git rev-parse HEAD`` of the code's checkout, or ``"unknown"`` (no git, no repo)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _test_as_of(split_meta: dict, ts: TrainingSet) -> str:
    if split_meta["kind"] == "time":
        return ",".join(split_meta["test"])
    return str(ts.manifest.get("as_of") or "unknown")


def _version_tags(ts: TrainingSet, split_meta: dict, family: str) -> dict[str, str]:
    return {
        "task": ts.task,
        "as_of": str(ts.manifest.get("as_of") or "unknown"),
        "test_as_of": _test_as_of(split_meta, ts),
        "data_hash": ts.data_hash,
        "family": family,
        "feature_version": ts.feature_version,
        "split": split_meta["kind"],
    }


def _run_tags(ts: TrainingSet, split_meta: dict, spec, cfg: TrainConfig) -> dict[str, str]:
    compact = {k: split_meta[k] for k in ("kind", "train", "valid", "test") if k in split_meta}
    return {
        "crmml.task": ts.task,
        "crmml.as_of": str(ts.manifest.get("as_of") or "unknown"),
        "crmml.test_as_of": _test_as_of(split_meta, ts),
        "crmml.split": json.dumps(compact, separators=(",", ":")),
        "crmml.split_kind": split_meta["kind"],
        "crmml.time_based": str(split_meta["kind"] == "time").lower(),
        "crmml.data_hash": ts.data_hash,
        "crmml.feature_version": ts.feature_version,
        "crmml.git_commit": git_commit(),
        "mlflow.source.git.commit": git_commit(),
        "crmml.allow_sensitive": str(cfg.allow_sensitive).lower(),
        "mlflow.note.content": describe_split(split_meta)
        + ("" if split_meta["kind"] == "time" else ". Evaluation is not time-based."),
    }


def _run_params(ts: TrainingSet, split_meta: dict, spec, cfg: TrainConfig) -> dict[str, object]:
    rows = split_meta["rows"]
    params: dict[str, object] = {
        "task": ts.task,
        "families": ",".join(cfg.families),
        "trials": cfg.tuning.trials,
        "timeout": cfg.tuning.timeout,
        "seed": cfg.seed,
        "calibration": cfg.calibration,
        "split_kind": split_meta["kind"],
        "train_rows": rows["train"],
        "valid_rows": rows["valid"],
        "test_rows": rows["test"],
        "n_features": len(spec.features),
        "features": ",".join(spec.features),
        "dropped_after_outcome": ",".join(ts.dropped_after_outcome) or "-",
    }
    for part in ("train", "valid", "test"):
        if split_meta["kind"] == "time":
            params[f"{part}_as_of"] = ",".join(split_meta[part])
    return params


def _log_context(ts, split_meta, cfg, allowed, parts: dict[str, pd.DataFrame], cols) -> None:
    import mlflow

    mlflow.log_dict(split_meta, "split.json")
    mlflow.log_dict(cfg.model_dump(mode="json"), "config/training.json")
    mlflow.log_dict(ts.task_manifest, f"features/{ts.task}.json")
    mlflow.log_dict(
        {"allowed_suspects": [s.__dict__ for s in allowed],
         "threshold": cfg.leakage.auc_threshold,
         "dropped_after_outcome": list(ts.dropped_after_outcome)},
        "leakage.json",
    )
    digest = ts.data_hash[:32]  # MLflow caps dataset digests at 36 characters
    for name, part in parts.items():
        with warnings.catch_warnings():
            # int64 label hint and source-resolution notes: expected, not actionable here
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(
                part[[*cols, LABEL]].reset_index(drop=True), source=ts.path.resolve().as_uri(),
                name=f"{ts.task}-{name}", digest=digest, targets=LABEL,
            )
            context = {"train": "training", "valid": "validation", "test": "testing"}[name]
            mlflow.log_input(dataset, context=context, tags={"crmml.data_hash": ts.data_hash})


def _log_model(model, ts, spec, cfg, family, split_meta, X_train):
    from mlflow.models import infer_signature

    from models.pyfunc import log_crm_model

    example = synthetic_example(
        X_train, numeric=list(spec.numeric), categorical=list(spec.categorical),
        rows=cfg.input_example_rows, seed=cfg.seed,
    )[list(spec.features)]
    signature = infer_signature(example, model.predict_proba(example)[:, 1])
    metadata = {**_version_tags(ts, split_meta, family), "time_based": split_meta["kind"] == "time"}
    return log_crm_model(
        model, name="model", input_example=example, signature=signature, metadata=metadata
    )
