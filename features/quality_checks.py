"""Row-level rules of the data-quality gate. Each rule cleans tables in place and says what it did.

Rules either leave rows out (a future-dated order did not exist at the as-of date), set a cell
to missing (a ticket closed after the as-of date was still open then), or keep the first of a
set of duplicates. Every action is recorded as a warning with its row count.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.config import QualityConfig
from features.contract import TABLES
from features.findings import Findings

# Dates that record something after the row's own event: after the as-of date they are
# information nobody had yet. ``end_date`` is not here: a future end is a planned end.
OUTCOME_DATES = {"tickets": ("closed_at",), "leads": ("converted_at",),
                 "subscriptions": ("cancelled_at",)}  # fmt: skip
SATISFACTION_RANGE = (1.0, 5.0)
# Tables whose latest date says how fresh the export is (customers and subscriptions may
# legitimately have started long ago).
FRESHNESS_TABLES = ("orders", "activities", "tickets", "leads", "campaign_events")


def _noun(table: str) -> str:
    return table.replace("_", " ")


def isin(series: pd.Series, values: pd.Series) -> pd.Series:
    """``series.isin(values)`` for string ids via pyarrow (pandas builds a scalar per value)."""
    arr = pa.array(series.astype("str"), from_pandas=True)
    value_set = pa.array(values.dropna().astype("str").unique(), type=arr.type)
    hit = pc.is_in(arr, value_set=value_set).fill_null(False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=series.index)


def has_duplicates(series: pd.Series) -> bool:
    """Whether any non-missing value repeats (sorting in pyarrow beats hashing 2M strings)."""
    arr = pa.array(series.dropna().astype("str"), from_pandas=True)
    if len(arr) < 2:
        return False
    ordered = pc.take(arr, pc.sort_indices(arr))
    return bool(pc.any(pc.equal(ordered[1:], ordered[:-1])).as_py())


def leave_out(
    tables: dict[str, pd.DataFrame], name: str, mask: pd.Series, findings: Findings,
    kind: str, why: str, *, column: str | None = None,
) -> int:  # fmt: skip
    """Leave the rows of ``mask`` out of table ``name`` and say so; how many there were."""
    n = int(mask.sum())
    if n:
        tables[name] = tables[name][~mask].reset_index(drop=True)
        findings.warn(kind, f"{n} {_noun(name)} {why} left out", table=name, column=column,
                      count=n, action="left out")  # fmt: skip
    return n


def check_keys(
    tables: dict[str, pd.DataFrame], findings: Findings, *, config: QualityConfig
) -> None:
    """Missing keys and required cells leave rows out; duplicated primary keys keep the first."""
    for name in list(tables):
        table = TABLES[name]
        df = tables[name]
        for col in table.columns:
            if not col.nullable and col.name != table.primary_key:
                leave_out(tables, name, tables[name][col.name].isna(), findings, "missing_value",
                          f"with missing {col.name}", column=col.name)  # fmt: skip
        df = tables[name]
        pk = table.primary_key
        leave_out(tables, name, df[pk].isna(), findings, "missing_value", f"with missing {pk}",
                  column=pk)  # fmt: skip
        df = tables[name]
        if not has_duplicates(df[pk]):
            continue
        extra = df[pk].duplicated(keep="first")
        if not extra.any():
            continue
        dup = extra | isin(df[pk], df.loc[extra, pk])
        share = float(dup.mean())
        if share > config.max_duplicate_key_share:
            findings.block(
                f"{name}: {share:.0%} of rows share a {pk} with another row (limit "
                f"{config.max_duplicate_key_share:.0%}); is {pk} really the row id?"
            )
            continue
        exact = df[dup].duplicated(keep="first").reindex(df.index, fill_value=False)
        n_exact, n_conflict = int(exact.sum()), int((extra & ~exact).sum())
        tables[name] = df[~extra].reset_index(drop=True)
        if n_exact:
            findings.warn("duplicate_key", f"{name}: {n_exact} exact duplicate rows (same {pk}): "
                          "kept the first", table=name, column=pk, count=n_exact,
                          action="kept the first")  # fmt: skip
        if n_conflict:
            findings.warn("duplicate_key", f"{name}: {n_conflict} rows repeat a {pk} with "
                          "different values: kept the first", table=name, column=pk,
                          count=n_conflict, action="kept the first")  # fmt: skip


def check_future(tables: dict[str, pd.DataFrame], findings: Findings, *, as_of: date) -> None:
    """Rows dated after ``as_of`` are left out; outcome dates after it are set to missing."""
    cutoff = pd.Timestamp(as_of)
    for name in list(tables):
        table = TABLES[name]
        if table.event_date:
            late = tables[name][table.event_date] > cutoff
            leave_out(tables, name, late, findings, "future_dated",
                      f"dated after {as_of} ({table.event_date})",
                      column=table.event_date)  # fmt: skip
        df = tables[name]
        for col in OUTCOME_DATES.get(name, ()):
            late = df[col] > cutoff
            n = int(late.sum())
            if not n:
                continue
            if name == "leads":
                # Converted after the cut-off: at the as-of date the lead was still open.
                df.loc[late & (df["status"] == "converted"), "status"] = "open"
            df.loc[late, col] = pd.NaT
            findings.warn("future_outcome", f"{n} {_noun(name)} with {col} after {as_of}: "
                          "not known at the as-of date, set to missing", table=name, column=col,
                          count=n, action="set to missing")  # fmt: skip


def check_ranges(tables: dict[str, pd.DataFrame], findings: Findings) -> None:
    """Negative amounts leave the order out; negative fees and bad satisfaction become missing."""
    if "orders" in tables:
        leave_out(tables, "orders", tables["orders"]["amount"] < 0, findings,
                  "negative_amount", "with negative amount", column="amount")  # fmt: skip
    low, high = SATISFACTION_RANGE
    rules = (("subscriptions", "monthly_fee", lambda s: s < 0, "negative"),
             ("tickets", "satisfaction", lambda s: (s < low) | (s > high),
              f"outside {low:g}-{high:g}"))  # fmt: skip
    for name, col, bad_of, what in rules:
        if name not in tables:
            continue
        bad = bad_of(tables[name][col])
        n = int(bad.sum())
        if n:
            tables[name].loc[bad, col] = float("nan")
            findings.warn("out_of_range", f"{n} {_noun(name)} with {what} {col}: set to missing",
                          table=name, column=col, count=n, action="set to missing")  # fmt: skip


def check_freshness(
    tables: dict[str, pd.DataFrame], findings: Findings, *, as_of: date, config: QualityConfig
) -> dict[str, str | None]:
    """Latest event date per table; a table older than ``stale_after_days`` is a warning."""
    latest: dict[str, str | None] = {}
    for name, df in tables.items():
        col = TABLES[name].event_date
        if not col or df.empty or name not in FRESHNESS_TABLES:
            continue
        last = df[col].max()
        latest[name] = None if pd.isna(last) else last.date().isoformat()
        if pd.isna(last):
            continue
        age = (pd.Timestamp(as_of) - last).days
        if age > config.stale_after_days:
            findings.warn("stale", f"{name}: latest {col} is {latest[name]}, {age} days before "
                          f"{as_of} (more than {config.stale_after_days}): is the export "
                          "complete?", table=name, column=col)  # fmt: skip
    return latest


def completeness(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Missing rate per column (0-1), rounded for the report."""
    return {name: {c: round(float(df[c].isna().mean()), 4) if len(df) else 0.0
                   for c in df.columns}
            for name, df in tables.items()}  # fmt: skip
