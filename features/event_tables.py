"""Per-table converters from canonical DataFrames to the arrays of :mod:`features.events`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import CHANNELS
from features.event_table import EventTable, codes
from features.titles import seniority

# Campaign event types grouped by how much intent they show.
EVENT_GROUPS: dict[str, tuple[str, ...]] = {
    "read": ("email_open",),
    "click": ("click", "qr_scan"),
    "social": ("like", "comment", "share"),
    "webinar": ("webinar",),
}


def day_numbers(values: pd.Series) -> np.ndarray:
    """Dates as float64 day numbers; missing dates are NaN (so every comparison is False)."""
    stamps = pd.to_datetime(values, errors="coerce").to_numpy()
    if stamps.dtype.kind != "M":  # e.g. time-zone aware stamps come as objects
        stamps = stamps.astype("datetime64[ns]")
    # One floor division straight into the float result (as the cast to datetime64[D]
    # floors), instead of three full-size intermediate arrays.
    per_day = np.timedelta64(1, "D") // np.timedelta64(1, np.datetime_data(stamps.dtype)[0])
    days = np.empty(len(stamps))
    np.floor_divide(stamps.view("int64"), per_day, out=days, casting="unsafe")
    days[np.isnat(stamps)] = np.nan
    return days


def text(values: pd.Series | None, n: int) -> np.ndarray:
    """A text column as an object array with None for missing (or all None when absent)."""
    if values is None:
        return np.full(n, None, dtype=object)
    return values.astype("string").to_numpy(dtype=object, na_value=None)


def normalize_names(values: pd.Series | None, n: int) -> pa.Array:
    """Normalised company names as Arrow strings (null when unknown), for matching leads to
    customers: ``n`` nulls when the column is absent.

    The whole column is normalised in Arrow, without a Python string per name: at a million
    mostly distinct names, first finding the distinct names and converting them to and from
    Python strings cost more than normalising every row (1.3 s against 3.3 s).
    """
    from features.names import normalize_company_names

    if values is None:
        return pa.nulls(n, pa.large_string())
    names = pa.array(normalize_company_names(values.reset_index(drop=True)), pa.large_string())
    return names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names


def contact_counts(
    df: pd.DataFrame | None, code: np.ndarray | None, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: number of contacts and whether a decision maker is known (0/1).

    ``code`` holds each contact row's customer position among ``n`` (-1: unknown).
    """
    if df is None or df.empty or code is None:
        return np.zeros(n), np.zeros(n)
    keep = code >= 0
    count = np.bincount(code[keep], minlength=n).astype("float64")
    dm = np.zeros(n)
    if "is_decision_maker" in df:
        flag = df["is_decision_maker"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        dm = (np.bincount(code[keep], weights=flag[keep], minlength=n) > 0).astype("float64")
    return count, dm


def subscriptions(
    subs: pd.DataFrame | None, code: np.ndarray | None, grace_days: int
) -> pd.DataFrame:
    """Subscriptions of known customers (``code``: row codes, -1 unknown), by (code, start)."""
    cols = ["code", "start", "end", "cancelled", "fee", "plan", "renewed"]
    if subs is None or subs.empty or code is None:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    n = len(subs)
    out = pd.DataFrame(
        {
            "code": code,
            "start": day_numbers(subs["start_date"]),
            "end": day_numbers(subs.get("end_date", pd.Series([None] * n))),
            "cancelled": day_numbers(subs.get("cancelled_at", pd.Series([None] * n))),
            "fee": pd.to_numeric(subs.get("monthly_fee"), errors="coerce")
            if "monthly_fee" in subs
            else np.nan,
            "plan": text(subs.get("plan"), n),
        }
    )
    out = out[(out["code"] >= 0) & out["start"].notna()].sort_values(["code", "start"])
    # Renewed: the customer's next subscription starts before this one's end + grace.
    nxt = out.groupby("code")["start"].shift(-1)
    out["renewed"] = (nxt.notna() & (nxt <= out["end"] + grace_days)).to_numpy()
    return out.reset_index(drop=True)


def activity_columns(df: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Day numbers and channel codes (-1: unknown) of an activities table.

    Parsed once and shared by the customer and the lead tables; channels are looked up in
    Arrow, without turning millions of strings into Python objects.
    """
    channel = codes(pa.array(CHANNELS, type=pa.large_string()), df["channel"], np.int8)
    return day_numbers(df["activity_date"]), {"channel": channel}


def activities(
    df: pd.DataFrame | None,
    code: np.ndarray | None,
    parsed: tuple[np.ndarray, dict[str, np.ndarray]] | None = None,
) -> EventTable:
    """Activities of the entities ``code`` (row codes, -1: none of them); ``parsed`` is
    :func:`activity_columns` of ``df``."""
    return _keyed_events(df, code, parsed or activity_columns, ("channel",))


def campaign_columns(df: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Day numbers and event groups (-1: other types) of a campaign events table."""
    types = [t for group in EVENT_GROUPS.values() for t in group]
    group_of = [i for i, group in enumerate(EVENT_GROUPS.values()) for _ in group]
    found = codes(pa.array(types, type=pa.large_string()), df["event_type"], np.int8)
    group = np.array(group_of + [-1], dtype=np.int8)[found]  # not found (-1): the last slot
    return day_numbers(df["event_time"]), {"group": group}


def campaign(
    df: pd.DataFrame | None,
    code: np.ndarray | None,
    parsed: tuple[np.ndarray, dict[str, np.ndarray]] | None = None,
) -> EventTable:
    """Campaign events of the entities ``code`` (row codes, -1: none of them); ``parsed`` is
    :func:`campaign_columns` of ``df``."""
    return _keyed_events(df, code, parsed or campaign_columns, ("group",))


def _keyed_events(df, code, parsed, names: tuple[str, ...]) -> EventTable:
    """``df``'s rows with an entity ``code``; ``parsed`` is the already parsed (days,
    columns) or the function that parses them from ``df``."""
    if df is None or df.empty or code is None:
        return EventTable.empty(names)
    days, cols = parsed(df) if callable(parsed) else parsed
    return EventTable.from_codes(code, days, cols)


def tickets(df: pd.DataFrame | None, code: np.ndarray | None) -> EventTable:
    """Tickets of the customers ``code`` (row codes, -1: unknown customer)."""
    if df is None or df.empty or code is None:
        return EventTable.empty(("closed", "satisfaction"))
    n = len(df)
    closed = day_numbers(df["closed_at"]) if "closed_at" in df else np.full(n, np.nan)
    sat = (
        pd.to_numeric(df["satisfaction"], errors="coerce").to_numpy(float)
        if "satisfaction" in df
        else np.full(n, np.nan)
    )
    return EventTable.from_codes(
        code,
        day_numbers(df["opened_at"]),
        {"closed": closed, "satisfaction": sat},
    )


def leads(df: pd.DataFrame) -> pd.DataFrame:
    """Lead rows (already aligned to the lead index) as the columns lead features read."""
    n = len(df)

    def col(name: str) -> pd.Series:
        if name in df:
            return df[name].astype("string").reset_index(drop=True)
        return pd.Series(pd.NA, index=range(n), dtype="string")

    out = pd.DataFrame(
        {
            "created": day_numbers(df["created_at"]) if "created_at" in df else np.full(n, np.nan),
            "converted": day_numbers(df["converted_at"])
            if "converted_at" in df
            else np.full(n, np.nan),
            "status": col("status"),
            "name": pd.array(normalize_names(df.get("company_name"), n), dtype="string"),
            "seniority": seniority(col("job_title")),
        }
    )
    for name in ("source", "industry", "region", "company_size"):
        out[name] = col(name)
    return out
