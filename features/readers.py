"""Reading one export file (CSV in UTF-8 / UTF-8 BOM / GB18030, or Parquet) into raw strings.

Every cell of a CSV is read as a string (``dtype=str``) so ids such as ``00123`` survive; typing
happens later, per the contract (a Parquet file's text columns that become categories may be
read as categoricals of their strings). A file that cannot be read raises :class:`ReadProblem`
with a message naming the file and what to do.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmml.errors import CrmmlError

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_SAMPLE_BYTES = 1 << 16


class ReadProblem(CrmmlError):
    """A file could not be read (encoding, format, empty)."""


@dataclass(frozen=True)
class RawFile:
    """A file read as strings, with how it was read."""

    frame: pd.DataFrame
    encoding: str | None
    delimiter: str | None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return controls > max(2, len(text) // 200)


def detect_encoding(path: Path) -> str:
    """``utf-8``, ``utf-8-sig`` or ``gb18030``, from a sample cut at a line end."""
    with open(path, "rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
    name = path.name
    if not raw.strip():
        raise ReadProblem(f"{name}: empty file (no header row)")
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if (
        raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        or raw[:4096].count(b"\x00") > len(raw[:4096]) // 4
    ):
        raise ReadProblem(
            f"{name}: encoded as UTF-16/UTF-32, which is not supported; "
            "save it as CSV UTF-8 (or GB18030)"
        )
    if b"\x00" in raw:
        raise ReadProblem(f"{name}: binary data, not a CSV text file (found NUL bytes)")
    # A sample cut in the middle of a multi-byte character misleads the detector: cut at a line.
    if len(raw) == _SAMPLE_BYTES and b"\n" in raw:
        raw = raw[: raw.rfind(b"\n") + 1]
    with contextlib.suppress(UnicodeDecodeError):
        text = raw.decode("utf-8")
        if _looks_binary(text):
            raise ReadProblem(f"{name}: binary data, not a CSV text file")
        return "utf-8"
    best = charset_normalizer.from_bytes(raw, cp_isolation=["utf_8", "gb18030"]).best()
    if best is None or _looks_binary(str(best)):
        raise ReadProblem(
            f"{name}: encoding could not be detected (expected UTF-8, UTF-8 with BOM or "
            "GB18030/GBK text); save it as CSV UTF-8"
        )
    return "utf-8-sig" if best.encoding in ("utf_8", "utf_8_sig") else "gb18030"


def sniff_delimiter(path: Path, encoding: str) -> str:
    """``,`` ``;`` or tab, from the first lines."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = "".join(line for _, line in zip(range(20), fh, strict=False))
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        first = head.splitlines()[0] if head else ""
        return max(",;\t", key=first.count)


def _text_columns(path: Path, names: Collection[str]) -> list[str] | None:
    if not names:
        return None
    text = (pa.types.is_string, pa.types.is_large_string)
    schema = pq.read_schema(path)
    return [f.name for f in schema if f.name in names and any(is_(f.type) for is_ in text)]


def _read_csv(path: Path, encoding: str, delimiter: str, progress: object | None) -> pd.DataFrame:
    options = dict(sep=delimiter, dtype=str, encoding=encoding)
    task = None
    if progress is not None:
        mb = path.stat().st_size / 1e6
        task = progress.add_task(f"reading {path.name} ({mb:,.0f} MB)", total=None)
    try:
        # pyarrow's multi-threaded parser is ~5x faster than pandas' C parser on large files.
        frame = pd.read_csv(path, engine="pyarrow", **options)
    except Exception:  # noqa: BLE001 - pyarrow is stricter (e.g. line breaks in quotes)
        frame = pd.read_csv(path, **options)  # the C parser reads it or names the bad line
    if task is not None:
        progress.update(task, total=1, completed=1)
    return frame


def parquet_headers(path: Path) -> list[str]:
    """The column names of a Parquet file (none when ``path`` is not one or is unreadable:
    :func:`read_file` reports why)."""
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        return []
    try:
        return [str(name) for name in pq.read_schema(path).names]
    except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        return []


def read_file(
    path: Path, *, progress: object | None = None, as_category: Collection[str] = ()
) -> RawFile:
    """Read one export file; a :class:`ReadProblem` names the file and the reason.

    ``as_category``: text columns of a Parquet file read as pandas categoricals, straight
    from its dictionary pages (each distinct value decoded once, a small code per row).
    """
    name = path.name
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path, read_dictionary=_text_columns(path, as_category))
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise ReadProblem(f"{name}: not a readable Parquet file ({exc})") from None
        frame.columns = [str(c) for c in frame.columns]
        return RawFile(frame, None, None)
    encoding = detect_encoding(path)
    delimiter = sniff_delimiter(path, encoding)
    try:
        frame = _read_csv(path, encoding, delimiter, progress)
    except UnicodeDecodeError as exc:
        # The sample decoded but a later line did not: the file mixes encodings.
        if encoding.startswith("utf-8"):
            with contextlib.suppress(UnicodeDecodeError, pd.errors.ParserError):
                return RawFile(
                    _read_csv(path, "gb18030", delimiter, progress), "gb18030", delimiter
                )
        raise ReadProblem(
            f"{name}: not valid {encoding} text at byte {exc.start}; "
            "the file mixes encodings, save it as CSV UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise ReadProblem(f"{name}: empty file (no header row)") from None
    except pd.errors.ParserError as exc:
        raise ReadProblem(f"{name}: not a readable CSV ({' '.join(str(exc).split())})") from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    return RawFile(frame, encoding, delimiter)
