"""Erasure requests (PIPL / GDPR): a suppression list of pseudonyms, applied to training sets.

``$CRMML_HOME/suppression.json`` holds keyed HMAC pseudonyms (the feature builder's), never raw
ids, so the list itself identifies no one without the operator's key. Retraining removes
suppressed entities from every training and scoring set it builds
(:func:`suppress_training_sets`); :func:`versions_trained_on` says which registered versions
saw them, so the operator knows what the next retrain replaces.

A duplicate record merged into another is trained under the other's pseudonym. The raw ->
pseudonym maps that say so (``id_map.parquet``) stay on disk beside each feature build; MLflow
records only where the builds are (:func:`known_id_maps`), never the maps.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from crmml.errors import CrmmlError
from crmml.paths import crmml_home
from monitoring.report import write_json

SUPPRESSION_FILE = "suppression.json"
ENTITY_ID = "entity_id"
ID_MAP_FILE = "id_map.parquet"  # the feature builders' name, when a manifest does not say


def suppression_path() -> Path:
    """``$CRMML_HOME/suppression.json``."""
    return crmml_home() / SUPPRESSION_FILE


def _read(path: Path) -> dict:
    if not path.is_file():
        return {"version": 1, "entries": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CrmmlError(f"{path}: suppression list is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CrmmlError(f"{path}: expected a mapping with an 'entries' list")
    return data


def load_suppressed(path: Path | None = None) -> set[str]:
    """Every suppressed pseudonym (customer ``c_...`` and lead ``l_...``)."""
    data = _read(Path(path) if path else suppression_path())
    return {p for e in data["entries"] for p in e.get("pseudonyms", [])}


def pseudonyms_of(raw_id: str, *, key: bytes, id_maps: list[Path] = ()) -> list[str]:
    """The customer and lead pseudonyms of a raw id, plus those of its merged canonical id."""
    from features.privacy import pseudonymize

    ids = pd.Series([raw_id], dtype="string")
    found = {str(pseudonymize(ids, key=key, kind=kind).iloc[0]) for kind in ("customer", "lead")}
    for path in id_maps:  # a duplicate merged into another record is trained under that one
        try:
            m = pd.read_parquet(path, columns=["pseudonym", "raw_id"])
        except Exception:  # an unreadable old map only loses the merge hint
            continue
        found |= {str(p) for p in m.loc[m["raw_id"] == raw_id, "pseudonym"].dropna()}
    return sorted(found)


def id_map_of(features_dir: Path) -> Path | None:
    """The id map a feature build wrote into ``features_dir``, if there is one."""
    folder = Path(features_dir)
    name: str | None = ID_MAP_FILE
    try:
        name = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get(
            "id_map_file", ID_MAP_FILE
        )
    except (OSError, ValueError):
        pass
    return folder / name if name and (folder / name).is_file() else None


def known_id_maps(client=None) -> list[Path]:
    """Id maps of every feature build erasure should know about, wherever it was written.

    Looks in ``$CRMML_HOME/runs/*`` (the default ``--work``), in the work folder of every
    ``crmml retrain`` (its parent run's ``work`` param) and in the features folder of every
    registered version (its training dataset's source), so ``--work`` elsewhere is found too.
    """
    runs = crmml_home() / "runs"
    folders = {p for p in runs.glob("*") if p.is_dir()} if runs.is_dir() else set()
    if client is not None:
        folders |= _retrain_work_dirs(client) | _training_dirs(client)
    return sorted({p.resolve() for f in folders if (p := id_map_of(f)) is not None})


def _retrain_work_dirs(client) -> set[Path]:
    from mlflow.exceptions import MlflowException

    from retraining.summary import EXPERIMENT

    found: set[Path] = set()
    try:
        exp = client.get_experiment_by_name(EXPERIMENT)
        token = None
        while exp is not None:
            page = client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
            found |= {Path(r.data.params["work"]) for r in page if r.data.params.get("work")}
            if not (token := page.token):
                break
    except MlflowException:
        pass
    return found


def _training_dirs(client) -> set[Path]:
    from mlflow.exceptions import MlflowException

    from monitoring.reference import training_source
    from training.config import TASKS
    from training.registry import registered_name

    found: set[Path] = set()
    for task in TASKS:
        try:
            versions = client.search_model_versions(f"name='{registered_name(task)}'")
            for run_id in {mv.run_id for mv in versions if mv.run_id}:
                found.add(training_source(client.get_run(run_id)).parent)
        except (CrmmlError, MlflowException):
            continue
    return found


def merged_duplicates(
    features_dir: Path, suppressed: set[str], *, key: bytes | None = None
) -> set[str]:
    """Pseudonyms that suppressed ids were merged into by the build in ``features_dir``.

    Covers a duplicate erased before the build that first merged it (no id map had it yet).
    """
    from features.privacy import load_key, pseudonymize

    path = id_map_of(features_dir)
    if path is None or not suppressed:
        return set()
    m = pd.read_parquet(path, columns=["pseudonym", "raw_id", "canonical_id", "kind"])
    merged = (m["kind"] == "customer") & (m["raw_id"] != m["canonical_id"])
    dup = m.loc[merged.fillna(False).astype(bool)]
    if dup.empty:
        return set()
    own = pseudonymize(dup["raw_id"], key=key or load_key(), kind="customer")
    return {str(p) for p in dup.loc[own.isin(suppressed).to_numpy(), "pseudonym"].dropna()}


def erase(
    ids: list[str],
    *,
    key: bytes | None = None,
    path: Path | None = None,
    id_maps: list[Path] = (),
    reason: str = "erasure request",
) -> list[dict]:
    """Add ``ids`` (raw CRM ids) to the suppression list; returns the new entries.

    Already-suppressed ids are not added twice. The file is rewritten atomically.
    """
    from features.privacy import load_key

    ids = [str(i).strip() for i in ids if str(i).strip()]
    if not ids:
        raise CrmmlError("--customer: give at least one customer id")
    key = key or load_key()
    path = Path(path) if path else suppression_path()
    data = _read(path)
    have = load_suppressed(path)
    added = []
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for raw in dict.fromkeys(ids):
        ps = pseudonyms_of(raw, key=key, id_maps=id_maps)
        entry = {"pseudonyms": ps, "added": now, "reason": reason, "new": not set(ps) <= have}
        if entry["new"]:
            data["entries"].append({k: v for k, v in entry.items() if k != "new"})
            have |= set(ps)
        added.append(entry)
    write_json(path, data)
    return added


def suppression_digest(suppressed: set[str]) -> str:
    """A short digest of the list (recorded in the manifest: a new erasure means new data)."""
    return hashlib.sha256("\n".join(sorted(suppressed)).encode()).hexdigest()[:16]


def suppress_training_sets(features_dir: Path, suppressed: set[str] | None = None) -> dict:
    """Drop suppressed entities from every ``<task>.parquet`` / ``.scoring.parquet`` in place.

    The manifest's row counts and ``data_hash`` are updated (the hash then covers the list),
    so a retrain after an erasure is new data, not a duplicate. Returns rows removed per file.
    """
    from monitoring.report import write_atomic

    features_dir = Path(features_dir)
    suppressed = load_suppressed() if suppressed is None else suppressed
    manifest_path = features_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    removed: dict[str, int] = {}
    if not suppressed:
        return removed
    suppressed = suppressed | merged_duplicates(features_dir, suppressed)
    for entry in manifest["tasks"].values():
        for key in ("file", "scoring_file"):
            name = entry.get(key)
            if not name or not (features_dir / name).is_file():
                continue
            frame = pd.read_parquet(features_dir / name)
            drop = frame[ENTITY_ID].isin(suppressed)
            removed[name] = int(drop.sum())
            if drop.any():
                kept = frame.loc[~drop].reset_index(drop=True)
                tmp = features_dir / f".{name}.tmp"
                kept.to_parquet(tmp, index=False)
                tmp.replace(features_dir / name)
                if key == "file":
                    entry["rows"] = int(len(kept))
                    entry["label_rate"] = float(kept["label"].mean()) if len(kept) else None
                else:
                    entry["scoring_rows"] = int(len(kept))
    digest = suppression_digest(suppressed)
    if any(removed.values()):
        base = manifest.get("data_hash_before_suppression") or manifest["data_hash"]
        manifest["data_hash_before_suppression"] = base
        manifest["data_hash"] = hashlib.sha256(f"{base}:{digest}".encode()).hexdigest()
    manifest["suppression"] = {"entries": len(suppressed), "digest": digest, "removed": removed}
    write_atomic(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    return removed


def versions_trained_on(client, pseudonyms: set[str], *, tasks: list[str] | None = None) -> list:
    """Registered versions whose training set held any of ``pseudonyms``.

    Each row: ``task, version, run_id, included`` (True, False, or None when the training set
    is gone and cannot be checked) and ``source``.
    """
    from mlflow.exceptions import MlflowException

    from monitoring.reference import training_source
    from training.config import TASKS
    from training.registry import registered_name

    rows = []
    for task in tasks or list(TASKS):
        try:
            versions = client.search_model_versions(f"name='{registered_name(task)}'")
        except MlflowException:
            continue
        for mv in versions:
            row = {
                "task": task,
                "version": str(mv.version),
                "run_id": mv.run_id,
                "included": None,
                "source": None,
            }
            try:
                run = client.get_run(mv.run_id)
                src = training_source(run)
                row["source"] = str(src)
                if src.is_file() and _same_data(src, run.data.tags.get("crmml.data_hash")):
                    ids = pd.read_parquet(src, columns=[ENTITY_ID])[ENTITY_ID]
                    row["included"] = bool(ids.isin(pseudonyms).any())
            except (CrmmlError, MlflowException):
                pass
            rows.append(row)
    return sorted(rows, key=lambda r: (r["task"], int(r["version"])))


def _same_data(parquet: Path, data_hash: str | None) -> bool:
    """The file is still the one the run trained on (its manifest's hash matches the run's)."""
    manifest = parquet.parent / "manifest.json"
    if not data_hash or not manifest.is_file():
        return False
    return json.loads(manifest.read_text(encoding="utf-8")).get("data_hash") == data_hash
