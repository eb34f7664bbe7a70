"""What the training job records on its run: tags, params, context artifacts, the model."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import pandas as pd

from training.config import TrainConfig
from training.data import LABEL, TrainingSet
from training.example import synthetic_example
from training.split import describe_split


def git_commit() -> str:
    """``git rev-parse HEAD`` of the code's checkout, or ``"unknown"`` (no git, no repo)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def test_as_of(split_meta: dict, ts: TrainingSet) -> str:
    if split_meta["kind"] == "time":
        return ",".join(split_meta["test"])
    return str(ts.manifest.get("as_of") or "unknown")


def version_tags(ts: TrainingSet, split_meta: dict, family: str) -> dict[str, str]:
    return {
        "task": ts.task,
        "as_of": str(ts.manifest.get("as_of") or "unknown"),
        "test_as_of": test_as_of(split_meta, ts),
        "data_hash": ts.data_hash,
        "family": family,
        "feature_version": ts.feature_version,
        "split": split_meta["kind"],
    }


def run_tags(ts: TrainingSet, split_meta: dict, spec, cfg: TrainConfig) -> dict[str, str]:
    compact = {k: split_meta[k] for k in ("kind", "train", "valid", "test") if k in split_meta}
    return {
        "crmml.task": ts.task,
        "crmml.as_of": str(ts.manifest.get("as_of") or "unknown"),
        "crmml.test_as_of": test_as_of(split_meta, ts),
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


def run_params(ts: TrainingSet, split_meta: dict, spec, cfg: TrainConfig) -> dict[str, object]:
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
        "tuning_rows": min(rows["train"], cfg.tuning.max_rows or rows["train"]),
        "lgbm_tuning_rows": min(rows["train"], cfg.tuning.rows_for("lgbm") or rows["train"]),
        "valid_rows": rows["valid"],
        "test_rows": rows["test"],
        "n_features": len(spec.features),
        "feature_names": ",".join(spec.features),
        "dropped_after_outcome": ",".join(ts.dropped_after_outcome) or "-",
    }
    for part in ("train", "valid", "test"):
        if split_meta["kind"] == "time":
            params[f"{part}_as_of"] = ",".join(split_meta[part])
    return params


def frame_schema(frame: pd.DataFrame):
    """The MLflow schema of ``frame``, inferred from a few representative rows.

    MLflow infers a dataset's schema cell by cell (each column's type, and whether it has a
    missing value), which takes minutes on a few hundred thousand rows. One row with a value
    and one missing row per column (where the column has them) give the same answer.
    """
    from mlflow.models import infer_signature

    present = frame.notna().to_numpy()
    rows: set[int] = set()
    for column in present.T:
        if column.any():
            rows.add(int(column.argmax()))
        if not column.all():
            rows.add(int((~column).argmax()))
    return infer_signature(frame.iloc[sorted(rows)]).inputs


def log_context(ts, split_meta, cfg, allowed, parts: dict[str, pd.DataFrame], cols) -> None:
    import mlflow

    mlflow.log_dict(split_meta, "split.json")
    mlflow.log_dict(cfg.model_dump(mode="json"), "config/training.json")
    mlflow.log_dict(ts.task_manifest, f"features/{ts.task}.json")
    mlflow.log_dict(
        {
            "allowed_suspects": [s.__dict__ for s in allowed],
            "threshold": cfg.leakage.auc_threshold,
            "dropped_after_outcome": list(ts.dropped_after_outcome),
        },
        "leakage.json",
    )
    digest = ts.data_hash[:32]  # MLflow caps dataset digests at 36 characters
    for name, part in parts.items():
        with warnings.catch_warnings():
            # int64 label hint and source-resolution notes: expected, not actionable here
            warnings.simplefilter("ignore", UserWarning)
            frame = part[[*cols, LABEL]].reset_index(drop=True)
            dataset = mlflow.data.from_pandas(
                frame,
                source=ts.path.resolve().as_uri(),
                name=f"{ts.task}-{name}",
                digest=digest,
                targets=LABEL,
            )
            # ``schema`` is a cached_property: set it, and MLflow does not infer it itself.
            dataset.schema = frame_schema(frame)
            context = {"train": "training", "valid": "validation", "test": "testing"}[name]
            mlflow.log_input(dataset, context=context, tags={"crmml.data_hash": ts.data_hash})


def log_model(model, ts, spec, cfg, family, split_meta, X_train):
    from mlflow.models import infer_signature

    from models.pyfunc import log_crm_model

    example = synthetic_example(
        X_train,
        numeric=list(spec.numeric),
        categorical=list(spec.categorical),
        rows=cfg.input_example_rows,
        seed=cfg.seed,
    )[list(spec.features)]
    signature = infer_signature(example, model.predict_proba(example)[:, 1])
    metadata = {
        **version_tags(ts, split_meta, family),
        "time_based": split_meta["kind"] == "time",
    }
    return log_crm_model(
        model, name="model", input_example=example, signature=signature, metadata=metadata
    )
