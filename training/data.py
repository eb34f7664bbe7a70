"""Reading a training set written by ``crmml features`` (layout in docs/interfaces.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crmml.errors import CrmmlError
from training.config import TASKS

LABEL = "label"
ENTITY = "entity_id"
AS_OF = "as_of"


@dataclass(frozen=True)
class TrainingSet:
    """One task's labelled table with its manifest (the whole file and the task entry)."""

    task: str
    path: Path
    frame: pd.DataFrame
    manifest: dict
    task_manifest: dict
    dropped_after_outcome: tuple[str, ...] = ()

    @property
    def split_kind(self) -> str:
        return str(self.manifest.get("split", "time"))

    @property
    def data_hash(self) -> str:
        return str(self.manifest.get("data_hash") or "unknown")

    @property
    def feature_version(self) -> str:
        return str(self.manifest.get("feature_version") or "unknown")


def check_task(task: str) -> str:
    """Return ``task`` if it is one crmml knows, else a CrmmlError listing the known ones."""
    if task not in TASKS:
        raise CrmmlError(f"unknown task '{task}': expected one of {', '.join(TASKS)}")
    return task


def read_manifest(features_dir: Path) -> dict:
    """``features_dir/manifest.json`` as a mapping; a missing or broken file is a CrmmlError."""
    path = Path(features_dir) / "manifest.json"
    if not Path(features_dir).is_dir():
        raise CrmmlError(f"{features_dir}: training-set folder not found (run `crmml features`)")
    if not path.is_file():
        raise CrmmlError(
            f"{path}: manifest not found (is {features_dir} a `crmml features` output?)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CrmmlError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tasks"), dict):
        raise CrmmlError(f"{path}: expected a mapping with a 'tasks' mapping")
    return manifest


def load_training_set(features_dir: Path, *, task: str) -> TrainingSet:
    """Load and check the labelled table of ``task``; drop columns known only after the outcome.

    Raises
    ------
    CrmmlError
        Unknown task, task missing from the manifest, missing/empty file, missing columns,
        a label that is not 0/1 or has a single class.
    """
    check_task(task)
    features_dir = Path(features_dir)
    manifest = read_manifest(features_dir)
    entry = manifest["tasks"].get(task)
    if not isinstance(entry, dict):
        found = ", ".join(sorted(manifest["tasks"])) or "none"
        raise CrmmlError(
            f"{features_dir / 'manifest.json'}: no training set for task '{task}' (found: {found})"
        )
    path = features_dir / str(entry.get("file") or f"{task}.parquet")
    if not path.is_file():
        raise CrmmlError(f"{path}: training set of task '{task}' not found")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise CrmmlError(f"{path}: cannot read the parquet file ({exc})") from None
    if frame.empty:
        raise CrmmlError(f"{path}: the training set of task '{task}' has no rows")
    names = [f["name"] for f in entry.get("features", [])]
    missing = [c for c in [LABEL, AS_OF, *names] if c not in frame.columns]
    if missing:
        raise CrmmlError(f"{path}: missing column(s) {', '.join(missing)} named by the manifest")
    labels = pd.to_numeric(frame[LABEL], errors="coerce")
    bad = labels.isna() | ~labels.isin([0, 1])
    if bad.any():
        raise CrmmlError(
            f"{path}: column 'label' must be 0/1, found {int(bad.sum())} other value(s) "
            f"(e.g. {frame.loc[bad, LABEL].iloc[0]!r})"
        )
    if labels.nunique() < 2:
        raise CrmmlError(
            f"{path}: column 'label' has one class only ({int(labels.iloc[0])} in all "
            f"{len(frame)} rows); a classifier needs both outcomes"
        )
    frame = frame.assign(**{LABEL: labels.astype("int64")})
    frame[AS_OF] = pd.to_datetime(frame[AS_OF])
    dropped = tuple(c for c in entry.get("drop_after_outcome") or [] if c in frame.columns)
    frame = frame.drop(columns=list(dropped))
    return TrainingSet(task, path, frame, manifest, entry, dropped)


def model_manifest(ts: TrainingSet, *, monotone: dict[str, int] | None = None) -> dict:
    """The task entry as the model factory sees it: minus outcome-time columns, with overrides."""
    drop = set(ts.task_manifest.get("drop_after_outcome") or [])
    features = []
    for feat in ts.task_manifest.get("features", []):
        if feat["name"] in drop:
            continue
        feat = dict(feat)
        if monotone and feat["name"] in monotone:
            feat["monotone"] = int(monotone[feat["name"]])
        features.append(feat)
    return {**ts.task_manifest, "features": features}
