"""``crmml score``: score a Parquet/CSV file in chunks with the same Scorer as the service.

Memory stays flat: Parquet is read with ``iter_batches`` and CSV with pyarrow's streaming
reader; each chunk is scored and appended to a temporary file, renamed into place at the end
(no half-written output).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crmml.errors import CrmmlError
from serving.scorer import Scorer

_FORMATS = (".parquet", ".csv")
_FEW_VALUES = ("tier", "model_version", "tags")


def _fmt(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise CrmmlError(f"{what} {path}: expected a .parquet or .csv file, found '{suffix}'")
    return suffix


def _check_feature_version(path: Path, scorer: Scorer) -> None:
    """A set built by another feature version is refused (its manifest sits next to it)."""
    manifest = path.parent / "manifest.json"
    if not scorer.feature_version or not manifest.is_file():
        return
    try:
        found = json.loads(manifest.read_text(encoding="utf-8")).get("feature_version")
    except (OSError, ValueError):
        return
    if found is not None and str(found) != scorer.feature_version:
        raise CrmmlError(
            f"{path}: built by feature version {found!r} ({manifest}), but "
            f"{scorer.model_name} v{scorer.model_version} needs {scorer.feature_version!r}: "
            "rebuild it with crmml features"
        )


def _chunks(path: Path, suffix: str, scorer: Scorer, rows: int) -> tuple[Iterator, int | None]:
    wanted = ["entity_id", *scorer.feature_names]
    if suffix == ".parquet":
        try:
            pf = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise CrmmlError(f"--input {path}: not a readable Parquet file ({exc})") from None
        names = set(pf.schema_arrow.names)
        missing = [c for c in wanted if c not in names]
        if missing:
            raise CrmmlError(
                f"--input {path}: missing column(s) {missing} needed by "
                f"{scorer.model_name} v{scorer.model_version}"
            )
        cols = wanted + (["feature_version"] if "feature_version" in names else [])
        return (
            b.to_pandas() for b in pf.iter_batches(batch_size=rows, columns=cols)
        ), pf.metadata.num_rows
    types = {"entity_id": pa.string(), **{c: pa.string() for c in scorer.categorical}}
    types.update({c: pa.float64() for c in scorer.feature_names if c not in scorer.categorical})
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        raise CrmmlError(f"--input {path}: not a readable CSV file ({exc})") from None
    missing = [c for c in wanted if c not in reader.schema.names]
    if missing:
        raise CrmmlError(
            f"--input {path}: missing column(s) {missing} needed by "
            f"{scorer.model_name} v{scorer.model_version}"
        )
    return (b.to_pandas() for b in reader), None


def score_file(
    input: Path,
    out: Path,
    *,
    scorer: Scorer,
    chunk_rows: int = 50_000,
    with_reasons: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
    task: str | None = None,
    tag_rules: list | None = None,
    id_map: Path | None = None,
    native_cache: Path | None = None,
    on_note: Callable[[str], None] | None = None,
) -> int:
    """Score ``input`` into ``out`` (entity_id, score, tier, model_version[, reasons]).

    With ``tag_rules`` (and ``task``) a ``tags`` column lists the customer tags that fired
    (comma-separated, see :mod:`serving.tags`). With ``id_map`` (the private
    ``id_map.parquet`` that ``crmml features`` writes) a ``raw_id`` column maps each pseudonym
    back to the CRM's canonical id, so the CRM can act on the scores. With ``native_cache``
    a LightGBM model scores through its trees compiled to C (:mod:`models.native`), compiled
    there first when the input is big enough to pay for it; ``on_note`` hears which way.

    Returns the number of rows scored. Raises ``CrmmlError`` for unreadable input, missing
    columns or a feature-version mismatch; ``out`` is untouched then.
    """
    input, out = Path(input), Path(out)
    if not input.is_file():
        raise CrmmlError(f"--input {input}: file not found")
    in_fmt, out_fmt = _fmt(input, "--input"), _fmt(out, "--out")
    _check_feature_version(input, scorer)
    chunks, total = _chunks(input, in_fmt, scorer, chunk_rows)
    if native_cache is not None:
        note = scorer.model.use_native(native_cache, compile=_worth_compiling(input, total))
        if on_note:
            on_note(note)
    raw_ids = _load_id_map(id_map) if id_map is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    writer = None
    done = 0
    try:
        for chunk in chunks:
            _check_chunk_version(chunk, scorer, input)
            scored = _decorate(
                scorer.score_frame(chunk, explain=with_reasons),
                chunk,
                task=task,
                tag_rules=tag_rules,
                raw_ids=raw_ids,
            )
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                writer = _writer(tmp, out_fmt, table.schema)
            writer.write_table(table)
            done += len(scored)
            if on_progress:
                on_progress(done, total)
        if writer is None:  # an empty input still gives a valid, empty output
            frame = _empty_frame(scorer)
            empty = _decorate(
                scorer.score_frame(frame, explain=with_reasons),
                frame,
                task=task,
                tag_rules=tag_rules,
                raw_ids=raw_ids,
            )
            table = pa.Table.from_pandas(empty, preserve_index=False)
            writer = _writer(tmp, out_fmt, table.schema)
        writer.close()
        writer = None
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return done


def _writer(path: Path, fmt: str, schema: pa.Schema):
    if fmt == ".csv":
        return pacsv.CSVWriter(path, schema)
    # Dictionary pages only for the few-valued columns: for unique ids and scores a dictionary
    # is built and dropped per page (half the writing time, a bigger file).
    few = [c for c in _FEW_VALUES if c in schema.names]
    return pq.ParquetWriter(path, schema, use_dictionary=few)


def _worth_compiling(path: Path, total: int | None) -> bool:
    from models.native import COMPILE_MIN_ROWS

    if total is not None:
        return total >= COMPILE_MIN_ROWS
    return path.stat().st_size >= COMPILE_MIN_ROWS * 100  # a CSV: ~100 bytes a row or more


def _check_chunk_version(chunk: pd.DataFrame, scorer: Scorer, path: Path) -> None:
    if "feature_version" not in chunk.columns or not scorer.feature_version:
        return
    found = set(chunk["feature_version"].dropna().astype(str)) - {scorer.feature_version}
    if found:
        raise CrmmlError(
            f"{path}: rows built by feature version(s) {sorted(found)}, the model "
            f"needs {scorer.feature_version!r}: rebuild with crmml features"
        )


def _empty_frame(scorer: Scorer) -> pd.DataFrame:
    data = {"entity_id": pd.array([], dtype="str")}
    for name in scorer.feature_names:
        data[name] = (
            pd.array([], dtype="str")
            if name in scorer.categorical
            else pd.array([], dtype="float64")
        )
    return pd.DataFrame(data)


def _load_id_map(path: Path) -> dict[str, str]:
    """Pseudonym -> canonical raw id, from the private id map of ``crmml features``."""
    path = Path(path)
    try:
        table = pd.read_parquet(path, columns=["pseudonym", "canonical_id"])
    except (OSError, ValueError, KeyError, pa.ArrowInvalid) as exc:
        raise CrmmlError(
            f"--id-map {path}: expected the id_map.parquet written by crmml features "
            f"(columns pseudonym, canonical_id): {exc}"
        ) from None
    table = table.drop_duplicates("pseudonym")
    return dict(
        zip(table["pseudonym"].astype(str), table["canonical_id"].astype(str), strict=True)
    )


def _decorate(
    scored: pd.DataFrame,
    chunk: pd.DataFrame,
    *,
    task: str | None,
    tag_rules: list | None,
    raw_ids: dict[str, str] | None,
) -> pd.DataFrame:
    if raw_ids is not None:
        raw = scored["entity_id"].astype(str).map(raw_ids)
        scored.insert(1, "raw_id", raw.astype("str"))
    if tag_rules is not None and task is not None:
        from serving.tags import apply_tags

        rows = chunk.reset_index(drop=True).copy()
        rows["score"] = scored["score"].to_numpy()
        tags = apply_tags(rows, task=task, rules=tag_rules)
        scored["tags"] = pd.array([", ".join(t) for t in tags], dtype="str")
    return scored
