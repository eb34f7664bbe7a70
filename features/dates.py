"""Parsing CRM date and timestamp cells into calendar dates in the configured time zone.

CRM exports mix ``2026-06-30``, ``2026/6/30``, ``2026年6月30日``, ``2026-06-30 14:05`` and
``2026-06-30T20:00:00Z``. A timestamp with an offset is an instant: it is converted to the
configured zone before it is truncated, so ``2026-06-30T20:00:00Z`` is 2026-07-01 in
Asia/Shanghai. A naive value is taken as already local.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

DATE_DTYPE = "datetime64[us]"

_CJK_DATE = r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2}|\s?UTC|\s?GMT)$"


def _naive(values: pd.Series) -> pd.Series:
    """Parse naive strings: ISO first (fast, vectorised), then pandas' mixed-format parser."""
    out = pd.to_datetime(values, format="ISO8601", errors="coerce")
    retry = out.isna()
    if retry.any():
        out = out.astype(DATE_DTYPE)
        out[retry] = pd.to_datetime(values[retry], format="mixed", errors="coerce").astype(
            DATE_DTYPE
        )
    return out.astype(DATE_DTYPE)


def _aware(values: pd.Series, tz: str) -> pd.Series:
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    retry = parsed.isna()
    if retry.any():
        parsed[retry] = pd.to_datetime(values[retry], format="mixed", errors="coerce", utc=True)
    return parsed.dt.tz_convert(tz).dt.tz_localize(None).astype(DATE_DTYPE)


def _from_strings(series: pd.Series, *, tz: str) -> tuple[pd.Series, pd.Series]:
    text = series.astype("str").str.strip()
    # Parse each distinct value once: a 2M-row table has a few thousand distinct dates.
    codes, uniq = pd.factorize(text)
    uniq = pd.Series(uniq, dtype="str")
    norm = uniq.str.replace(_CJK_DATE, r"\1-\2-\3", regex=True)
    has_offset = norm.str.contains(_OFFSET, regex=True)
    parsed = pd.Series(pd.NaT, index=uniq.index, dtype=DATE_DTYPE)
    if (~has_offset).any():
        parsed[~has_offset] = _naive(norm[~has_offset])
    if has_offset.any():
        parsed[has_offset] = _aware(norm[has_offset], tz)
    day = parsed.dt.normalize().to_numpy()
    out = np.full(len(text), np.datetime64("NaT"), dtype=DATE_DTYPE)
    found = codes >= 0
    out[found] = day[codes[found]]
    blank = np.zeros(len(text), dtype=bool)
    blank[found] = (uniq == "").to_numpy()[codes[found]]
    dates = pd.Series(out, index=series.index)
    bad = pd.Series(found & ~blank, index=series.index) & dates.isna()
    return dates, bad


def to_calendar_dates(series: pd.Series, *, tz: str) -> tuple[pd.Series, pd.Series]:
    """Calendar dates (midnight ``datetime64``) and a mask of unparseable non-empty cells.

    Parameters
    ----------
    series : strings, datetimes (naive or aware) or ``datetime.date`` objects.
    tz : IANA time zone the calendar dates are taken in (e.g. ``"Asia/Shanghai"``).

    Returns
    -------
    dates : same index, ``datetime64[us]`` at midnight, NaT where empty or unparseable.
    unparseable : boolean mask of non-empty cells that could not be read as a date.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        dates = series.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().astype(DATE_DTYPE)
        return dates, pd.Series(False, index=series.index)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.normalize().astype(DATE_DTYPE), pd.Series(False, index=series.index)
    if series.dtype == object and len(series):
        sample = series.dropna()
        if len(sample) and all(isinstance(v, dt.date) for v in sample.iloc[:100]):
            return _from_objects(series, tz=tz)
    if pd.api.types.is_numeric_dtype(series.dtype):
        # Bare numbers (Excel serials, epochs) are ambiguous: report them, do not guess.
        bad = series.notna()
        return pd.Series(pd.NaT, index=series.index, dtype=DATE_DTYPE), bad
    return _from_strings(series, tz=tz)


def _from_objects(series: pd.Series, *, tz: str) -> tuple[pd.Series, pd.Series]:
    """Python ``date``/``datetime`` objects (e.g. from Parquet ``date32`` columns)."""
    iso = series.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    return _from_strings(iso.astype("str"), tz=tz)
