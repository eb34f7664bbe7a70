"""Writing training sets: parquet per task, scoring parquet, manifest, all-or-nothing.

Layout and manifest fields: ``docs/interfaces.md``. The whole folder is built in a temporary
sibling directory and swapped in at the end, so a failure (or Ctrl-C) leaves a previous ``OUT``
untouched, and a reader never sees a manifest that describes files from another run.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmml.atomic import replace_dir as _swap
from crmml.errors import CrmmlError
from features.contract import AS_OF, ENTITY_ID, LABEL, SENSITIVE_PREFIX

MANIFEST = "manifest.json"
# LZ4 writes these wide float tables about twice as fast as snappy at the same size.
COMPRESSION = "lz4"


def _normalise(df: pd.DataFrame, *, what: str, with_label: bool) -> pd.DataFrame:
    missing = [c for c in (ENTITY_ID, AS_OF) + ((LABEL,) if with_label else ()) if c not in df]
    if missing:
        raise CrmmlError(
            f"{what}: missing column(s) {missing}; expected {ENTITY_ID}, {AS_OF}"
            + (f", {LABEL}" if with_label else "")
        )
    df = df.reset_index(drop=True)  # copy-on-write: the caller's frame is never changed
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


def task_stats(train: pd.DataFrame | list[pd.DataFrame], scoring: pd.DataFrame) -> dict:
    """Row counts and label rates of one task, overall and per snapshot date."""
    chunks = train if isinstance(train, list) else [train]
    per = (
        pd.concat([c.groupby(AS_OF)[LABEL].agg(["size", "sum"]) for c in chunks])
        .groupby(level=0)
        .sum()
        .sort_index()
    )
    rows, positives = int(per["size"].sum()), int(per["sum"].sum())
    return {
        "rows": rows,
        "label_rate": round(positives / rows, 6) if rows else None,
        "scoring_rows": int(len(scoring)),
        "snapshots": [
            {
                "as_of": ts.date().isoformat(),
                "rows": int(r["size"]),
                "label_rate": round(float(r["sum"]) / r["size"], 6),
            }
            for ts, r in per.iterrows()
        ],
    }


def _write_parquet(path: Path, chunks: list[pd.DataFrame]) -> None:
    """Write chunks one after another into one file (no concatenated copy in memory)."""
    writer, schema = None, None
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema, compression=COMPRESSION)
            else:
                table = table.cast(schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


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
    frames : task -> (training frame with ``entity_id``, ``as_of``, features, ``label``, or a
        list of such frames with the same columns, e.g. one per snapshot, written one after
        another without concatenating; scoring frame with the same columns minus ``label``).
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
            what = f"{task} training set"
            chunks = [
                _normalise(c, what=what, with_label=True)
                for c in (train if isinstance(train, list) else [train])
            ]
            if not chunks:
                raise CrmmlError(f"{what}: no rows to write")
            columns = list(chunks[0].columns)
            if any(list(c.columns) != columns for c in chunks):
                raise CrmmlError(f"{what}: chunks have different columns")
            scoring = _normalise(scoring, what=f"{task} scoring set", with_label=False)
            entry = tasks.setdefault(task, {})
            entry.update(file=f"{task}.parquet", scoring_file=f"{task}.scoring.parquet")
            entry.update(task_stats(chunks, scoring))
            entry.setdefault("features", _default_features(chunks[0]))
            entry.setdefault("sensitive", [c for c in columns if c.startswith(SENSITIVE_PREFIX)])
            entry.setdefault("drop_after_outcome", [])
            _write_parquet(tmp / entry["file"], chunks)
            del chunks
            scoring.to_parquet(tmp / entry["scoring_file"], index=False, compression=COMPRESSION)
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
