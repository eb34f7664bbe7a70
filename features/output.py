"""Writing training sets: parquet per task, scoring parquet, manifest, all-or-nothing.

Layout and manifest fields: ``docs/interfaces.md``. The whole folder is built in a temporary
sibling directory and swapped in at the end, so a failure (or Ctrl-C) leaves a previous ``OUT``
untouched, and a reader never sees a manifest that describes files from another run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import pandas as pd

from crmml.errors import CrmmlError
from features.contract import AS_OF, ENTITY_ID, LABEL, SENSITIVE_PREFIX

MANIFEST = "manifest.json"


def _rate(labels: pd.Series) -> float | None:
    return round(float(labels.mean()), 6) if len(labels) else None


def _normalise(df: pd.DataFrame, *, what: str, with_label: bool) -> pd.DataFrame:
    missing = [c for c in (ENTITY_ID, AS_OF) + ((LABEL,) if with_label else ()) if c not in df]
    if missing:
        raise CrmmlError(
            f"{what}: missing column(s) {missing}; expected {ENTITY_ID}, {AS_OF}"
            + (f", {LABEL}" if with_label else "")
        )
    df = df.reset_index(drop=True).copy()
    df[ENTITY_ID] = df[ENTITY_ID].astype("string")
    df[AS_OF] = pd.to_datetime(df[AS_OF]).astype("datetime64[ns]")
    if with_label:
        df[LABEL] = df[LABEL].astype("int64")
    elif LABEL in df:
        df = df.drop(columns=LABEL)
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype) or df[col].dtype == object:
            df[col] = df[col].astype("string")  # category does not survive JSON signatures
    return df


def _default_features(df: pd.DataFrame) -> list[dict]:
    skip = {ENTITY_ID, AS_OF, LABEL}
    return [
        {
            "name": c,
            "kind": "numeric" if pd.api.types.is_numeric_dtype(df[c]) else "categorical",
            "description": c.replace("_", " "),
            "phrase": f"{c.replace('_', ' ')} is {{value}}",
        }
        for c in df.columns
        if c not in skip and not c.startswith(SENSITIVE_PREFIX)
    ]


def task_stats(train: pd.DataFrame, scoring: pd.DataFrame) -> dict:
    """Row counts and label rates of one task, overall and per snapshot date."""
    per = train.groupby(AS_OF, sort=True)[LABEL].agg(["size", "mean"])
    return {
        "rows": int(len(train)),
        "label_rate": _rate(train[LABEL]),
        "scoring_rows": int(len(scoring)),
        "snapshots": [
            {
                "as_of": ts.date().isoformat(),
                "rows": int(r["size"]),
                "label_rate": round(float(r["mean"]), 6),
            }
            for ts, r in per.iterrows()
        ],
    }


def write_training_sets(
    out: Path,
    *,
    frames: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    manifest: dict,
    extra_files: dict[str, bytes | pd.DataFrame] | None = None,
) -> dict:
    """Write ``OUT/<task>.parquet``, ``OUT/<task>.scoring.parquet`` and ``OUT/manifest.json``.

    Parameters
    ----------
    out : the output folder; replaced as a whole. A non-empty folder without a manifest is
        refused (it is not ours to delete).
    frames : task -> (training frame with ``entity_id``, ``as_of``, features, ``label``;
        scoring frame with the same columns minus ``label``).
    manifest : the top-level manifest fields (``feature_version``, ``source``, ``as_of``,
        ``split``, ...). ``manifest["tasks"][task]`` may hold ``features``, ``window_days``,
        ``sensitive`` and ``drop_after_outcome``; this function adds ``file``, ``scoring_file``,
        ``rows``, ``label_rate``, ``scoring_rows`` and ``snapshots`` and fills missing
        ``features`` (from the columns) and ``sensitive`` (the ``sensitive__*`` columns).
    extra_files : more files for the folder: bytes as-is, DataFrames as parquet.

    Returns
    -------
    dict
        The manifest as written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CrmmlError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise CrmmlError(
            f"--out {out}: folder is not empty and holds no {MANIFEST}; refusing to replace it "
            "(choose a new or empty folder)"
        )
    manifest = json.loads(json.dumps(manifest))  # a private, JSON-clean copy
    tasks = manifest.setdefault("tasks", {})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        for task, (train, scoring) in frames.items():
            train = _normalise(train, what=f"{task} training set", with_label=True)
            scoring = _normalise(scoring, what=f"{task} scoring set", with_label=False)
            entry = tasks.setdefault(task, {})
            entry.update(file=f"{task}.parquet", scoring_file=f"{task}.scoring.parquet")
            entry.update(task_stats(train, scoring))
            entry.setdefault("features", _default_features(train))
            entry.setdefault(
                "sensitive", [c for c in train.columns if c.startswith(SENSITIVE_PREFIX)]
            )
            entry.setdefault("drop_after_outcome", [])
            train.to_parquet(tmp / entry["file"], index=False)
            scoring.to_parquet(tmp / entry["scoring_file"], index=False)
        for name, content in (extra_files or {}).items():
            if isinstance(content, pd.DataFrame):
                content.to_parquet(tmp / name, index=False)
            else:
                (tmp / name).write_bytes(content)
        text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _swap(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` (two renames; the old folder is restored if the second fails)."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
