"""Reading the single table a dataset spec names: encoding, separator, dates.

Id, label and date columns are read as text so leading zeros and the user's spelling of the
label survive; other columns get pandas' type inference. Read problems are
:class:`~crmml.errors.CrmmlError` naming the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmml.errors import CrmmlError, DataQualityError
from features.dataset_spec import DatasetSpec
from features.readers import detect_encoding, sha256_file, sniff_delimiter

__all__ = ["parse_dates", "read_table", "sha256_file"]


def read_table(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """The table as a DataFrame with stripped header names; an empty table is an error.

    Parameters
    ----------
    path : a ``.csv``/``.txt``/``.tsv`` file (read with ``spec.read``) or a ``.parquet`` file.
    spec : the dataset spec (read options and the columns to keep as text).
    """
    path = Path(path)
    as_text = [c for c in (spec.id_column, spec.label.column, spec.date_column) if c]
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            table = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds for a bad file
            raise CrmmlError(f"{path}: not a readable Parquet file ({exc})") from None
    else:
        opts = spec.read
        # Same detection as the event path: UTF-8, UTF-8 with BOM or GB18030; others are named.
        encoding = opts.encoding
        if encoding == "auto":
            try:
                encoding = detect_encoding(path)
            except CrmmlError as exc:
                hint = f"; or name it in {spec.source}, key 'read.encoding' (e.g. cp1252)"
                raise CrmmlError(str(exc) + hint) from None
        sep = opts.sep or sniff_delimiter(path, encoding)
        try:
            table = pd.read_csv(
                path,
                sep=sep,
                encoding=encoding,
                decimal=opts.decimal,
                na_values=opts.na_values or None,
                dtype={c: "str" for c in as_text},
                skipinitialspace=True,
            )
        except LookupError:
            raise CrmmlError(
                f"{spec.source}: key 'read.encoding': unknown encoding {opts.encoding!r}"
            ) from None
        except UnicodeDecodeError as exc:
            raise CrmmlError(
                f"{path}: not readable as {encoding} ({exc.reason} at byte {exc.start}); "
                f"set read.encoding in {spec.source}"
            ) from None
        except pd.errors.EmptyDataError:
            raise DataQualityError(f"{path}: the table is empty (no header, no rows)") from None
        except pd.errors.ParserError as exc:
            raise CrmmlError(
                f"{path}: not a valid CSV with separator {sep!r} ({str(exc).strip()}); "
                f"check read.sep in {spec.source}"
            ) from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DataQualityError(f"{path}: the table has a header but no rows")
    dupes = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
    if dupes:
        raise DataQualityError(f"{path}: duplicated column names: {', '.join(dupes)}")
    if len(table.columns) == 1 and spec.read.sep is not None:
        only = table.columns[0]
        if any(s in only for s in (";", "\t", "|", ",")):
            raise CrmmlError(
                f"{path}: one column {only[:60]!r} found: the separator is probably not "
                f"{spec.read.sep!r}; set read.sep in {spec.source} (or leave it out to detect it)"
            )
    return table


def parse_dates(values: pd.Series, *, spec: DatasetSpec, file: str) -> pd.Series:
    """Calendar dates (midnight) of ``spec.date_column``; empty or unparseable values are errors.

    ISO dates (``2024-03-05``, ``2024/03/05 10:00``) are read without a format; anything else
    needs ``read.date_format`` (a day-first or month-first guess would silently swap dates).
    """
    where = f"{spec.source}: key 'date_column': column '{values.name}' of {file}"
    text = values.astype("str").str.strip()
    empty = values.isna() | (text == "")
    if empty.any():
        raise DataQualityError(f"{where}: {int(empty.sum())} rows have no date")
    if spec.read.date_format is None:
        # Keep the wall-clock date the CRM showed: a UTC offset (even mixed ones) is dropped.
        clock = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"
        text = text.str.replace(clock, r"\1", regex=True)
    fmt = spec.read.date_format or "ISO8601"
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError as exc:  # e.g. mixed offsets from a %z format
        raise DataQualityError(f"{where}: dates not readable with {fmt!r} ({exc})") from None
    bad = values[parsed.isna()].astype("str")
    if len(bad):
        examples = ", ".join(repr(v) for v in bad.unique()[:5])
        raise DataQualityError(
            f"{where}: expected dates ({spec.read.date_format or 'YYYY-MM-DD'}), found "
            f"{len(bad)} unparseable values, e.g. {examples}; set read.date_format"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)  # keep the wall-clock date the CRM showed
    return parsed.dt.normalize()
