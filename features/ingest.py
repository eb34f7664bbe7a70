"""Reading an export folder into canonical, typed tables (before the data-quality checks).

One file per table: the file stem is the canonical table name unless the mapping's ``file:``
says otherwise. Headers are renamed by the mapping (or matched to canonical names as they are),
cells are parsed by the contract's column kinds, and everything odd is recorded in
:class:`features.findings.Findings` rather than raised.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmml.errors import CrmmlError
from features.contract import ENTITY_TABLES, TABLES, Table
from features.findings import Findings
from features.mapping import Mapping, apply_mapping
from features.parsing import parse_column
from features.readers import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    ReadProblem,
    parquet_headers,
    read_file,
    sha256_file,
)

IGNORED_SUFFIXES = (".md", ".json", ".yaml", ".yml")
_EMPTY_DTYPES = {"date": "datetime64[us]", "number": "float64", "bool": "boolean"}


def resolve_as_of(raw_dir: Path, as_of: str | None) -> dt.date:
    """The export's cut-off date: ``as_of`` if given, else ``as_of`` in ``raw_dir/export.json``."""
    if as_of is not None:
        try:
            return dt.date.fromisoformat(str(as_of).strip())
        except ValueError:
            raise CrmmlError(f"--as-of '{as_of}': not a date; expected YYYY-MM-DD") from None
    if not Path(raw_dir).is_dir():
        raise CrmmlError(f"{raw_dir}: export folder not found")
    meta = Path(raw_dir) / "export.json"
    if not meta.is_file():
        raise CrmmlError(
            f"--as-of is required: {raw_dir} has no export.json to read the export's "
            "cut-off date from; pass --as-of YYYY-MM-DD"
        )
    try:
        value = json.loads(meta.read_text(encoding="utf-8-sig")).get("as_of")
        return dt.date.fromisoformat(str(value))
    except (ValueError, AttributeError, TypeError):
        raise CrmmlError(
            f'{meta}: expected a JSON object with "as_of": "YYYY-MM-DD"; pass --as-of instead'
        ) from None


@dataclass
class Ingested:
    """Typed canonical tables and what was learned while reading them."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: dict[str, dict] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)


def _table_files(raw_dir: Path, mapping: Mapping, findings: Findings) -> dict[str, list[Path]]:
    files = sorted(p for p in raw_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    readable = CSV_SUFFIXES + PARQUET_SUFFIXES
    by_table: dict[str, list[Path]] = {}
    expected = ", ".join(TABLES)
    for path in files:
        suffix = path.suffix.lower()
        if suffix in IGNORED_SUFFIXES:
            continue
        table = mapping.table_for_file(path)
        if table is None and suffix in readable and path.stem in TABLES:
            mapped_elsewhere = mapping.for_table(path.stem).file not in (None, path.stem)
            table = None if mapped_elsewhere else path.stem
        if suffix in (".xlsx", ".xls", ".xlsm"):
            findings.warn(
                "unknown_table",
                f"'{path.name}': Excel workbooks are not read; save each sheet as CSV UTF-8 "
                "(or Parquet), one file per table",
                count=1,
                action="ignored",
            )
            continue
        if table is None or suffix not in readable:
            findings.warn(
                "unknown_table",
                f"unknown table '{path.name}': ignored; expected one of {expected} "
                "(.csv or .parquet), or a 'file:' entry in the mapping",
                count=1,
                action="ignored",
            )
            continue
        by_table.setdefault(table, []).append(path)
    names = [p.name for p in files]
    for table, tm in mapping.tables.items():
        if tm.file is not None and table not in by_table:
            # One mapping serves exports with fewer tables: a missing table is only blocking
            # when a task needs it, and that is reported by the task check.
            findings.warn(
                "mapping",
                f"{mapping.source}: tables.{table}.file: '{tm.file}' not found in {raw_dir}; "
                f"table {table} is absent (found files: {', '.join(names) or 'none'})",
                table=table,
                action="table absent",
            )
    for table, paths in by_table.items():
        if len(paths) > 1:
            findings.block(
                f"table {table}: {len(paths)} files ({', '.join(p.name for p in paths)}); "
                "keep one file per table"
            )
    return {t: p for t, p in by_table.items() if len(p) == 1}


def _typed(
    raw: pd.DataFrame, table: Table, *, name: str, tz: str, findings: Findings
) -> tuple[pd.DataFrame, dict]:
    """Parse every canonical column; record unparseable cells and respelled categories."""
    out: dict[str, pd.Series] = {}
    stats: dict[str, dict] = {}
    # Event tables keep their categories as pandas categoricals: ten million order statuses
    # are 10 MB of codes instead of ~140 MB of strings, parsed, copied by every rule that
    # leaves rows out and read by the build. Customers and leads keep ``str``: their columns
    # are the attributes written into training sets.
    as_category = table.name not in ENTITY_TABLES.values()
    for col in table.columns:
        if col.name not in raw.columns:
            dtype = _EMPTY_DTYPES.get(col.kind, "str")
            out[col.name] = pd.Series(pd.NA if dtype == "boolean" else None, index=raw.index,
                                      dtype=dtype)  # fmt: skip
            stats[col.name] = {"present": False}
            continue
        parsed = parse_column(raw[col.name], col, tz=tz, as_category=as_category)
        out[col.name] = parsed.values
        bad = int(parsed.unparseable.sum())
        entry = {"present": True, "unparseable": bad, "normalised": parsed.normalised}
        if bad:
            examples = raw[col.name][parsed.unparseable].drop_duplicates().head(3).tolist()
            what = {"date": "dates", "number": "numbers", "bool": "true/false"}[col.kind]
            findings.warn(
                "unparseable",
                f"{name}: column {col.name}: {bad} cells could not be read as {what} "
                f"(e.g. {', '.join(repr(str(e)) for e in examples)}): set to missing",
                table=table.name, column=col.name, count=bad, action="set to missing",
            )  # fmt: skip
        if parsed.normalised:
            findings.note(
                f"{name}: column {col.name}: {parsed.normalised} values respelled to one "
                "canonical spelling (case, spaces, aliases such as 北京市 / Beijing)"
            )
        if col.allowed:
            values = parsed.values
            outside = values.notna() & ~values.isin(col.allowed)
            if outside.any():
                found = values[outside].astype("str").value_counts().head(5)
                findings.warn(
                    "unexpected_category",
                    f"{name}: column {col.name}: {int(outside.sum())} values outside "
                    f"{', '.join(col.allowed)} (found {dict(found)}): kept as they are",
                    table=table.name, column=col.name, count=int(outside.sum()),
                )  # fmt: skip
        stats[col.name] = entry
    return pd.DataFrame(out, index=raw.index).reset_index(drop=True), stats


def _blocking_columns(typed: pd.DataFrame, table: Table, name: str, stats: dict) -> list[str]:
    problems = []
    for col in table.columns:
        if col.nullable or not stats[col.name].get("present"):
            continue
        if typed[col.name].isna().all():
            bad = stats[col.name]["unparseable"]
            why = f"all {bad} cells are unparseable" if bad else "every cell is empty"
            problems.append(f"{name}: required column {col.name}: {why}")
    return problems


def ingest(
    raw_dir: Path, *, mapping: Mapping, tz: str, findings: Findings, progress: bool = False
) -> Ingested:
    """Read every table file of ``raw_dir`` into typed canonical tables."""
    result = Ingested()
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        findings.block(f"{raw_dir}: export folder not found")
        return result
    files = _table_files(raw_dir, mapping, findings)
    bar: contextlib.AbstractContextManager = contextlib.nullcontext()
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
    with bar as live:
        for table_name, (path,) in sorted(files.items()):
            _ingest_one(path, TABLES[table_name], mapping, tz, findings, result, live)
    return result


def _category_headers(path: Path, table: Table, mapping: Mapping) -> list[str]:
    """The headers of a Parquet file that become category columns: read as categoricals,
    they are cleaned and respelled once per distinct value (a CSV's cells are read as text)."""
    headers = parquet_headers(path)
    if not headers:
        return []
    tm = mapping.for_table(table.name)
    renames, _, _ = apply_mapping(headers, table.name, tm, file_name=path.name,
                                  source=mapping.source)  # fmt: skip
    return [h for h, name in renames.items() if table.column(name).kind == "category"]


def _ingest_one(
    path: Path,
    table: Table,
    mapping: Mapping,
    tz: str,
    findings: Findings,
    result: Ingested,
    live: object | None,
) -> None:
    """Read, map and type one table file into ``result``; problems go to ``findings``."""
    name = path.name
    result.file_hashes[name] = sha256_file(path)
    categories = _category_headers(path, table, mapping)
    try:
        raw_file = read_file(path, progress=live, as_category=categories)
    except ReadProblem as exc:
        findings.block(str(exc))
        return
    raw = raw_file.frame
    headers = list(raw.columns)
    renames, problems, dropped = apply_mapping(
        headers, table.name, mapping.for_table(table.name), file_name=name, source=mapping.source
    )
    for problem in problems:
        findings.block(problem)
    if dropped:
        findings.note(f"{name}: columns not in the contract dropped: {', '.join(dropped)}")
    if len(raw) == 0:
        findings.block(f"{name}: no rows (only a header); remove the file or export its rows")
        return
    raw = raw[list(renames)].rename(columns=renames)
    missing = [c for c in table.required_columns if c not in raw.columns]
    for col in missing:
        findings.block(
            f"{name}: required column '{col}' missing from table {table.name}; found columns: "
            f"{', '.join(headers)}" + ("; map your header to it with --mapping" if headers else "")
        )
    typed, stats = _typed(raw, table, name=name, tz=tz, findings=findings)
    for problem in _blocking_columns(typed, table, name, stats):
        findings.block(problem)
    result.tables[table.name] = typed
    result.info[table.name] = {
        "file": name,
        "format": "parquet" if raw_file.encoding is None else "csv",
        "encoding": raw_file.encoding,
        "delimiter": raw_file.delimiter,
        "rows_read": len(typed),
        "renamed": {k: v for k, v in renames.items() if k != v},
        "dropped_headers": dropped,
        "columns": stats,
    }
