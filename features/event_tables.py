"""Per-table converters from canonical DataFrames to the arrays of :mod:`features.events`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import CHANNELS
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
    days = stamps.astype("datetime64[D]").astype("int64").astype("float64")
    days[np.isnat(stamps)] = np.nan
    return days


def id_array(index: pd.Index) -> pa.Array:
    """An entity index as an Arrow string array: convert once, pass it to :func:`codes`."""
    return pa.array(pd.Series(np.asarray(index, dtype=object), dtype="string"))


def codes(index: pd.Index | pa.Array, ids: pd.Series) -> np.ndarray:
    """Positions of ``ids`` in the unique ``index`` (-1 when absent or missing)."""
    # Arrow's hash lookup (index_in) of string ids is several times faster than
    # Index.get_indexer on Python strings, and its table holds only the index's values.
    keys = index if isinstance(index, pa.Array) else id_array(index)
    found = pc.index_in(pa.array(ids.astype("string")), value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")


def text(values: pd.Series | None, n: int) -> np.ndarray:
    """A text column as an object array with None for missing (or all None when absent)."""
    if values is None:
        return np.full(n, None, dtype=object)
    return values.astype("string").to_numpy(dtype=object, na_value=None)


def normalize_names(values: np.ndarray) -> np.ndarray:
    """Normalised company names (None when unknown), for matching leads to customers."""
    from features.names import normalize_company_names

    codes, uniq = pd.factorize(values)  # each distinct name is normalised once; None: -1
    keys = normalize_company_names(pd.Series(uniq, dtype="str")).astype(object).to_numpy()
    keys = np.array([k if isinstance(k, str) and k else None for k in keys], dtype=object)
    out = np.full(len(values), None, dtype=object)
    out[codes >= 0] = keys[codes[codes >= 0]]
    return out


def _day_order(days: np.ndarray) -> np.ndarray:
    """The stable sort order of day numbers.

    Whole days spanning less than 65536 days sort as uint16 offsets, which numpy sorts
    stably by radix (linear, several times faster than sorting float64); same order.
    """
    if len(days) and days.max() - days.min() < 1 << 16 and np.array_equal(days, np.floor(days)):
        return np.argsort((days - days.min()).astype(np.uint16), kind="stable")
    return np.argsort(days, kind="stable")


@dataclass
class EventTable:
    """Events of one kind, sorted by day: ``code[i]`` did something on ``day[i]``."""

    code: np.ndarray
    day: np.ndarray
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    folds: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict, repr=False)
    """State of :meth:`fold_upto` per name: rows folded so far and the per-entity values."""

    @classmethod
    def build(
        cls,
        index: pd.Index | pa.Array,
        ids: pd.Series,
        days: np.ndarray,
        cols: dict[str, np.ndarray],
    ) -> EventTable:
        code = codes(index, ids)
        kept = np.flatnonzero((code >= 0) & ~np.isnan(days))
        rows = kept[_day_order(days[kept])]  # one gather per column
        return cls(
            code=code[rows],
            day=days[rows],
            cols={k: np.asarray(v)[rows] for k, v in cols.items()},
        )

    @classmethod
    def empty(cls, names: tuple[str, ...] = ()) -> EventTable:
        return cls(np.empty(0, np.int64), np.empty(0), {n: np.empty(0) for n in names})

    def span(self, after: float, upto: float) -> slice:
        """Rows with ``after < day <= upto``."""
        lo = np.searchsorted(self.day, after, side="right")
        hi = np.searchsorted(self.day, upto, side="right")
        return slice(int(lo), int(hi))

    def fold_upto(
        self,
        name: str,
        upto: float,
        init: Callable[[], np.ndarray],
        fold: Callable[[np.ndarray, slice], None],
    ) -> np.ndarray:
        """Per-entity values folded over all rows with ``day <= upto`` (a fresh copy).

        Snapshots come in date order, so each call folds in only the rows since the last one
        instead of the whole history again (an earlier ``upto`` starts over). ``fold`` must
        update the values in place in row order, like ``np.add.at`` or ``np.maximum.at``:
        then the result is bit for bit the one of a single pass over the history.
        """
        hi = int(np.searchsorted(self.day, upto, side="right"))
        state = self.folds.get(name)
        if state is None or state[0] > hi:
            state = (0, init())
        done, values = state
        fold(values, slice(done, hi))
        self.folds[name] = (hi, values)
        return values.copy()

    def total_upto(self, name: str, n: int, upto: float, weights: np.ndarray | None = None):
        """Per-entity count (or weighted sum) of rows with ``day <= upto``; see
        :meth:`fold_upto`. Equals ``count(n, span(-inf, upto), weights)`` exactly."""

        def add(values: np.ndarray, rows: slice) -> None:
            np.add.at(values, self.code[rows], 1.0 if weights is None else weights[rows])

        return self.fold_upto(name, upto, lambda: np.zeros(n), add)

    def day_upto(
        self,
        name: str,
        n: int,
        upto: float,
        *,
        first: bool = False,
        keep: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per-entity day of the last (or ``first``) row among ``keep`` with ``day <= upto``;
        NaN when there is none."""
        ufunc, none = (np.minimum, np.inf) if first else (np.maximum, -np.inf)

        def extreme(values: np.ndarray, rows: slice) -> None:
            code, day = self.code[rows], self.day[rows]
            if keep is not None:
                code, day = code[keep[rows]], day[keep[rows]]
            ufunc.at(values, code, day)

        days = self.fold_upto(name, upto, lambda: np.full(n, none), extreme)
        days[np.isinf(days)] = np.nan
        return days

    def count(self, n: int, rows: slice | np.ndarray, weights: np.ndarray | None = None):
        """Per-entity count (or weighted sum) over ``rows``, as float64 of length ``n``."""
        code = self.code[rows]
        w = None if weights is None else weights[rows]
        return np.bincount(code, weights=w, minlength=n).astype("float64", copy=False)


def contact_counts(
    df: pd.DataFrame | None, index: pd.Index | pa.Array
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: number of contacts and whether a decision maker is known (0/1)."""
    n = len(index)
    if df is None or df.empty:
        return np.zeros(n), np.zeros(n)
    code = codes(index, df["customer_id"])
    keep = code >= 0
    count = np.bincount(code[keep], minlength=n).astype("float64")
    dm = np.zeros(n)
    if "is_decision_maker" in df:
        flag = df["is_decision_maker"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        dm = (np.bincount(code[keep], weights=flag[keep], minlength=n) > 0).astype("float64")
    return count, dm


def subscriptions(
    subs: pd.DataFrame | None, index: pd.Index | pa.Array, grace_days: int
) -> pd.DataFrame:
    cols = ["code", "start", "end", "cancelled", "fee", "plan", "renewed"]
    if subs is None or subs.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    n = len(subs)
    out = pd.DataFrame(
        {
            "code": codes(index, subs["customer_id"]),
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


def activities(df: pd.DataFrame | None, index: pd.Index | pa.Array, key: str) -> EventTable:
    if df is None or df.empty or key not in df or len(index) == 0:
        return EventTable.empty(("channel",))
    channel = pd.Categorical(df["channel"].astype("string"), categories=list(CHANNELS)).codes
    return EventTable.build(
        index, df[key], day_numbers(df["activity_date"]), {"channel": np.asarray(channel)}
    )


def campaign(df: pd.DataFrame | None, index: pd.Index | pa.Array, key: str) -> EventTable:
    if df is None or df.empty or key not in df or len(index) == 0:
        return EventTable.empty(("group",))
    lookup = {t: i for i, types in enumerate(EVENT_GROUPS.values()) for t in types}
    group = df["event_type"].astype("string").map(lookup).fillna(-1).to_numpy("int64")
    return EventTable.build(index, df[key], day_numbers(df["event_time"]), {"group": group})


def tickets(df: pd.DataFrame | None, index: pd.Index | pa.Array) -> EventTable:
    if df is None or df.empty:
        return EventTable.empty(("closed", "satisfaction"))
    n = len(df)
    closed = day_numbers(df["closed_at"]) if "closed_at" in df else np.full(n, np.nan)
    sat = (
        pd.to_numeric(df["satisfaction"], errors="coerce").to_numpy(float)
        if "satisfaction" in df
        else np.full(n, np.nan)
    )
    return EventTable.build(
        index,
        df["customer_id"],
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
            "name": normalize_names(text(df.get("company_name"), n)),
            "seniority": seniority(col("job_title")),
        }
    )
    for name in ("source", "industry", "region", "company_size"):
        out[name] = col(name)
    return out
