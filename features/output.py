"""Writing training sets: parquet per task, scoring parquet, manifest, all-or-nothing.

Layout and manifest fields: ``docs/interfaces.md``. The whole folder is built in a temporary
sibling directory and swapped in at the end, so a failure (or Ctrl-C) leaves a previous ``OUT``
untouched, and a reader never sees a manifest that describes files from another run.
"""

from __future__ import annotations

import json
import secrets
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crmml.atomic import replace_dir as _swap
from crmml.errors import CrmmlError
from features.arrow_rows import take_rows
from features.contract import AS_OF, ENTITY_ID, LABEL, SENSITIVE_PREFIX

MANIFEST = "manifest.json"
# LZ4 writes these wide float tables about twice as fast as snappy at the same size.
COMPRESSION = "lz4"
# Columns with more distinct values than this in their first rows get no dictionary.
DICTIONARY_MAX_VALUES = 1024
DICTIONARY_SAMPLE_ROWS = 65_536


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
    return _stats([_snapshot_counts(c) for c in chunks], len(scoring))


def _snapshot_counts(chunk: pd.DataFrame) -> pd.DataFrame:
    return chunk.groupby(AS_OF)[LABEL].agg(["size", "sum"])


def _stats(counts: list[pd.DataFrame], scoring_rows: int) -> dict:
    per = pd.concat(counts).groupby(level=0).sum().sort_index()
    rows, positives = int(per["size"].sum()), int(per["sum"].sum())
    return {
        "rows": rows,
        "label_rate": round(positives / rows, 6) if rows else None,
        "scoring_rows": int(scoring_rows),
        "snapshots": [
            {
                "as_of": ts.date().isoformat(),
                "rows": int(r["size"]),
                "label_rate": round(float(r["sum"]) / r["size"], 6),
            }
            for ts, r in per.iterrows()
        ],
    }


class _TaskFile:
    """One task's training parquet, written chunk by chunk as the chunks are built."""

    def __init__(self, path: Path, first: pd.DataFrame):
        self.path, self.columns = path, list(first.columns)
        self.features, self.counts = _default_features(first), []
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None

    def table(self, chunk: pd.DataFrame, rows: np.ndarray | None) -> pa.Table:
        """The chunk (or its ``rows``) as Arrow in the file's schema, the first one's."""
        if rows is None:
            table = pa.Table.from_pandas(chunk, preserve_index=False)
        else:
            table = take_rows(chunk, rows, self.schema or _schema(chunk))
        if self.writer is None:
            self.schema = table.schema
            self.writer = pq.ParquetWriter(
                self.path,
                self.schema,
                compression=COMPRESSION,
                use_dictionary=_dictionary_columns(table),
            )
        return table if table.schema == self.schema else table.cast(self.schema)


class TrainingSetWriter:
    """Streams training sets into a temporary sibling of ``out``; :meth:`commit` swaps it in.

    Use as a context manager: leaving the block without a commit (an error, Ctrl-C) deletes
    the temporary folder, so ``out`` keeps its previous content. Each chunk (e.g. one snapshot)
    is encoded and written by a background thread while the caller builds the next one, and
    is never concatenated with the others: memory holds one chunk per task in flight, not the
    sets.
    """

    def __init__(self, out: Path):
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise CrmmlError(f"--out {out}: exists and is not a folder")
        if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
            raise CrmmlError(
                f"--out {out}: folder is not empty and holds no {MANIFEST}; refusing to replace "
                "it (choose a new or empty folder)"
            )
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = out.parent / f".{out.name}.tmp-{secrets.token_hex(4)}"
        self.tmp.mkdir()
        self._files: dict[str, _TaskFile] = {}
        self._scoring_rows: dict[str, int] = {}
        # Parquet encoding releases the GIL, so writes overlap the next chunk's features and
        # the files of two tasks are encoded at once; one task's chunks stay in order.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="parquet")
        self._pending: dict[str, Future] = {}
        self._committed = False

    def __enter__(self) -> TrainingSetWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._committed:
            self.abort()

    def _submit(self, task: str, fn, *args) -> None:
        self._wait(task)  # one chunk per task in flight: in order, and memory stays bounded
        self._pending[task] = self._pool.submit(fn, *args)

    def _wait(self, task: str) -> None:
        pending = self._pending.pop(task, None)
        if pending is not None:
            pending.result()

    def add(self, task: str, chunk: pd.DataFrame, rows: np.ndarray | None = None) -> None:
        """Append training rows (``entity_id``, ``as_of``, features, ``label``) of ``task``:
        all of ``chunk``, or the rows at positions ``rows`` (gathered straight into Arrow,
        without a pandas copy of the chunk)."""
        chunk = _normalise(chunk, what=f"{task} training set", with_label=True)
        file = self._files.get(task)
        if file is None:
            file = self._files[task] = _TaskFile(self.tmp / f"{task}.parquet", chunk)
        elif list(chunk.columns) != file.columns:
            raise CrmmlError(f"{task} training set: chunks have different columns")
        labels = chunk[[AS_OF, LABEL]]
        file.counts.append(_snapshot_counts(labels if rows is None else labels.take(rows)))
        self._wait(task)  # the task's previous chunk is written (and freed) before this one
        self._submit(task, _write_table, file, file.table(chunk, rows))

    def scoring(self, task: str, frame: pd.DataFrame, rows: np.ndarray | None = None) -> None:
        """Write the scoring rows of ``task`` (the training columns without ``label``): all
        of ``frame`` or those at positions ``rows``."""
        frame = _normalise(frame, what=f"{task} scoring set", with_label=False)
        self._wait(task)
        if rows is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        else:
            table = take_rows(frame, rows, _schema(frame))
        self._scoring_rows[task] = table.num_rows
        self._submit(task, _write_file, table, self.tmp / f"{task}.scoring.parquet")

    def commit(self, manifest: dict, extra_files: dict[str, bytes | pd.DataFrame] | None = None):
        """Finish the files, write ``extra_files`` and the manifest, swap the folder in."""
        for task in list(self._pending):
            self._wait(task)
        self._pool.shutdown()
        for file in self._files.values():
            if file.writer is not None:
                file.writer.close()
        manifest = json.loads(json.dumps(manifest))  # a private, JSON-clean copy
        tasks = manifest.setdefault("tasks", {})
        for task, file in self._files.items():
            if task not in self._scoring_rows:
                raise CrmmlError(f"{task}: training rows written but no scoring set")
            entry = tasks.setdefault(task, {})
            entry.update(file=f"{task}.parquet", scoring_file=f"{task}.scoring.parquet")
            entry.update(_stats(file.counts, self._scoring_rows[task]))
            entry.setdefault("features", file.features)
            sensitive = [c for c in file.columns if c.startswith(SENSITIVE_PREFIX)]
            entry.setdefault("sensitive", sensitive)
            entry.setdefault("drop_after_outcome", [])
        for name, content in (extra_files or {}).items():
            if isinstance(content, pd.DataFrame):
                content.to_parquet(self.tmp / name, index=False)
            else:
                (self.tmp / name).write_bytes(content)
        text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
        (self.tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
        _swap(self.tmp, self.out)
        self._committed = True
        return manifest

    def abort(self) -> None:
        """Drop everything written so far (``out`` is left as it was)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for file in self._files.values():
            if file.writer is not None:
                try:
                    file.writer.close()
                except Exception:  # noqa: BLE001 - the folder is deleted anyway
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def _schema(frame: pd.DataFrame) -> pa.Schema:
    """The Arrow schema (with pandas metadata) of ``frame``, from its first row."""
    return pa.Table.from_pandas(frame.iloc[:1], preserve_index=False).schema


def _write_table(file: _TaskFile, table: pa.Table) -> None:
    file.writer.write_table(table)


def _write_file(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression=COMPRESSION, use_dictionary=_dictionary_columns(table))


def _dictionary_columns(table: pa.Table) -> list[str]:
    """The columns written with dictionary pages: those with few distinct values.

    A many-valued column (amounts, ratios, the entity pseudonyms) outgrows its dictionary
    page, so Parquet builds a dictionary in every row group only to fall back to plain
    values: a fifth to a third of the writing time, and a bigger file. Counts, flags, day
    gaps and categories take few values and are smaller with one. Judged once per file, on
    its first rows.
    """
    head = table.slice(0, DICTIONARY_SAMPLE_ROWS)
    return [
        f.name
        for f in table.schema
        if pc.count_distinct(head[f.name]).as_py() <= DICTIONARY_MAX_VALUES
    ]


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
    with TrainingSetWriter(out) as writer:
        for task, (train, scoring) in frames.items():
            chunks = train if isinstance(train, list) else [train]
            if not chunks:
                raise CrmmlError(f"{task} training set: no rows to write")
            for chunk in chunks:
                writer.add(task, chunk)
            writer.scoring(task, scoring)
        return writer.commit(manifest, extra_files)
