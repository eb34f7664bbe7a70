"""The training reference of a champion: a drift profile stored with its run.

Resolution order: the run's ``monitoring/reference_profile.json`` artifact; otherwise the
profile is computed from the training rows of the run (the parquet file named by its
``training`` dataset input, filtered to the run's ``train_as_of`` snapshots, checked against
the run's ``crmml.data_hash``) and logged to the run, so later checks do not need the file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from crmml.errors import CrmmlError
from monitoring.drift import DriftPolicy, profile

PROFILE_ARTIFACT = "monitoring/reference_profile.json"


def feature_entries(model) -> list[dict]:
    """Manifest-like feature entries (name, kind) of a loaded ``CrmModel``."""
    cats = set(model.categorical)
    return [
        {"name": n, "kind": "categorical" if n in cats else "numeric"} for n in model.feature_names
    ]


def read_frame(path: Path) -> pd.DataFrame:
    """A parquet or CSV file of rows; a missing or unreadable file is a CrmmlError."""
    path = Path(path)
    if not path.is_file():
        raise CrmmlError(f"{path}: file not found")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
    except Exception as exc:  # pyarrow and the csv parser raise several types
        raise CrmmlError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    raise CrmmlError(f"{path}: expected a .parquet or .csv file, found '{path.suffix}'")


def training_source(run) -> Path:
    for di in run.inputs.dataset_inputs if run.inputs else []:
        tags = {t.key: t.value for t in di.tags or []}
        if tags.get("mlflow.data.context") != "training":
            continue
        try:
            uri = json.loads(di.dataset.source).get("uri", "")
        except (TypeError, ValueError):
            uri = di.dataset.source
        parsed = urlparse(uri)
        return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)
    raise CrmmlError(f"run {run.info.run_id}: no training dataset recorded; pass --reference FILE")


def training_rows(run) -> pd.DataFrame:
    """The rows the run trained on, read back from the training set it names."""
    path = training_source(run)
    if not path.is_file():
        raise CrmmlError(
            f"run {run.info.run_id}: its training set {path} is gone; pass --reference FILE "
            "(a training or scoring parquet of the champion's period, or a profile JSON)"
        )
    manifest = path.parent / "manifest.json"
    want = run.data.tags.get("crmml.data_hash")
    if manifest.is_file() and want:
        found = json.loads(manifest.read_text(encoding="utf-8")).get("data_hash")
        if found != want:
            raise CrmmlError(
                f"run {run.info.run_id}: {path} was rebuilt since training (data_hash {found} != "
                f"{want}); pass --reference FILE"
            )
    frame = pd.read_parquet(path)
    dates = [d for d in (run.data.params.get("train_as_of") or "").split(",") if d]
    if dates and "as_of" in frame.columns:
        keep = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d").isin(dates)
        frame = frame.loc[keep]
    return frame.reset_index(drop=True)


def champion_reference(client, run_id: str, model, *, policy: DriftPolicy) -> tuple[dict, str]:
    """The champion run's reference profile and where it came from (logged when computed)."""
    with tempfile.TemporaryDirectory(prefix="crmml-ref-") as tmp:
        try:
            local = client.download_artifacts(run_id, PROFILE_ARTIFACT, tmp)
            stored = json.loads(Path(local).read_text(encoding="utf-8"))
            if stored.get("policy_bins") == policy.bins:
                return stored, f"runs:/{run_id}/{PROFILE_ARTIFACT}"
        except Exception:  # MLflow raises several types for a missing artifact
            pass
    run = client.get_run(run_id)
    rows = training_rows(run)
    prof = profile_rows(rows, model, policy=policy)
    with tempfile.TemporaryDirectory(prefix="crmml-ref-") as tmp:
        path = Path(tmp) / "reference_profile.json"
        path.write_text(json.dumps(prof), encoding="utf-8")
        try:
            client.log_artifact(run_id, str(path), artifact_path="monitoring")
        except Exception:  # a read-only store still gets its report, just not the cache
            pass
    return prof, f"training rows of run {run_id} ({training_source(run)})"


def profile_rows(rows: pd.DataFrame, model, *, policy: DriftPolicy) -> dict:
    """Profile of reference rows with the model's scores on them."""
    missing = [c for c in model.feature_names if c not in rows.columns]
    if missing:
        raise CrmmlError(f"reference rows lack the model's feature(s): {', '.join(missing)}")
    score = model.predict_proba(rows[model.feature_names])
    prof = profile(rows, features=feature_entries(model), score=score, policy=policy)
    prof["policy_bins"] = policy.bins
    return prof


def reference_from_file(path: Path, model, *, policy: DriftPolicy) -> tuple[dict, str]:
    """A profile JSON (as stored with a run) or reference rows (parquet/CSV)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise CrmmlError(f"{path}: file not found")
        try:
            prof = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CrmmlError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(prof, dict) or "columns" not in prof:
            raise CrmmlError(f"{path}: not a reference profile (no 'columns' key)")
        return prof, str(path)
    return profile_rows(read_frame(path), model, policy=policy), str(path)
