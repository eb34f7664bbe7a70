"""Exports turned into date-sorted numpy arrays once, so each snapshot is a few slices.

Every event table becomes a :class:`~features.event_table.EventTable`: integer entity codes and
day numbers sorted by day, so "events on or before the snapshot" is one ``searchsorted`` and
per-entity counts and sums are ``np.bincount`` over a slice. This keeps a 12-snapshot build over
millions of events in seconds; the feature modules only read these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import event_tables as tb
from features.event_table import EventTable
from features.exports import Exports

_EPOCH = date(1970, 1, 1)
PAID = "paid"
REFUND_STATUSES = ("refunded", "cancelled")


def to_day(d: date) -> int:
    """Day number (days since 1970-01-01) of a calendar date."""
    return (pd.Timestamp(d).date() - _EPOCH).days


@dataclass
class Prepared:
    """Array form of one export (see module docstring). Built by :func:`prepare`.

    Customer arrays and ``customers`` rows are positional over ``customer_ids`` (canonical ids:
    the customers table's ids, then ids seen only in orders); lead rows over ``lead_ids``.
    """

    as_of: date
    customer_ids: pd.Index
    customers: pd.DataFrame
    customer_created: np.ndarray
    customer_first_order: np.ndarray
    customer_name: np.ndarray
    contacts: np.ndarray
    decision_maker: np.ndarray
    orders: EventTable
    subscriptions: pd.DataFrame
    customer_activities: EventTable
    tickets: EventTable
    customer_campaign: EventTable
    lead_ids: pd.Index
    leads: pd.DataFrame
    lead_activities: EventTable
    lead_campaign: EventTable
    cache: dict = field(default_factory=dict)
    """Snapshot-independent columns, computed on first use."""


def _universe(
    frames: list[pd.DataFrame | None], key: str
) -> tuple[pd.Index, pa.Array, list[np.ndarray | None]]:
    """The distinct ``key`` ids of ``frames`` in order of first appearance, as an Index and
    as Arrow strings, and each frame's row codes into them (-1: missing id; None: no column).

    One Arrow dictionary encoding gives both: hashing every id once matters at millions of
    order rows, whose codes are then known without a second lookup.
    """
    present = [f is not None and key in f for f in frames]
    parts = [_large_chunks(f[key]) for f, ok in zip(frames, present, strict=True) if ok]
    chunks = [c for part in parts for c in part]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string()))
    if not encoded.num_chunks:
        return pd.Index([], dtype=object), pa.array([], pa.large_string()), [None] * len(frames)
    ids = encoded.chunk(encoded.num_chunks - 1).dictionary  # shared by all chunks
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=pa.int32())
    all_codes = indices.fill_null(-1).to_numpy().astype(np.int64)
    ends = np.cumsum([sum(len(c) for c in part) for part in parts])
    split = iter(np.split(all_codes, ends[:-1]))
    codes = [next(split) if ok else None for ok in present]
    return pd.Index(ids.to_numpy(zero_copy_only=False), dtype=object), ids, codes


def _has(df: pd.DataFrame | None, keys: tuple[str, ...]) -> bool:
    return df is not None and not df.empty and any(k in df for k in keys)


def _large_chunks(ids: pd.Series) -> list[pa.Array]:
    array = pa.array(ids.astype("string"))
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [c.cast(pa.large_string()) for c in chunks]


def _aligned(df: pd.DataFrame | None, codes: np.ndarray | None, n: int) -> pd.DataFrame:
    """One row per id (``codes`` from :func:`_universe`): the id's last row in ``df``, or a row
    of missing values; like dropping duplicate ids (keep last) and reindexing by id."""
    if df is None or df.empty or codes is None:
        return pd.DataFrame(index=range(n))
    last = np.full(n, -1, dtype=np.int64)  # -1 is no label of ``df``: a missing row
    known = codes >= 0
    np.maximum.at(last, codes[known], np.flatnonzero(known))
    return df.reset_index(drop=True).reindex(last).reset_index(drop=True)


def _orders(df: pd.DataFrame | None, code: np.ndarray | None) -> EventTable:
    names = ("amount", "paid", "paid_amount", "refund", "cat")
    if df is None or df.empty or code is None:
        return EventTable.empty(names)
    n = len(df)
    status = df["status"].astype("string") if "status" in df else pd.Series(pd.NA, index=df.index)
    # A missing status counts as paid: exports without a status column list paid orders only.
    paid = (status.isna() | (status == PAID)).to_numpy(dtype=bool)
    refund = status.isin(REFUND_STATUSES).fillna(False).to_numpy(dtype=bool)
    amount = pd.to_numeric(df["amount"], errors="coerce").fillna(0.0).to_numpy(float)
    cats = df["product_category"].astype("string") if "product_category" in df else None
    # Category codes, not names: labels compare codes (see ``EventTable.labels``), so millions
    # of order rows never become Python strings.
    cat, names = pd.factorize(cats) if cats is not None else (np.full(n, -1), [])
    # Flags are sorted as booleans and widened after: no full-size float copies to gather.
    table = EventTable.from_codes(
        code,
        tb.day_numbers(df["order_date"]),
        {"amount": amount, "paid": paid, "refund": refund, "cat": cat},
    )
    c = table.cols
    table.cols = {
        "amount": c["amount"],
        "paid": c["paid"].astype(float),
        "paid_amount": c["amount"] * c["paid"],
        "refund": c["refund"].astype(float),
        "cat": c["cat"],
    }
    table.labels["cat"] = tuple(str(name) for name in names)
    return table


def prepare(exports: Exports, *, renewal_grace_days: int = 30) -> Prepared:
    """Turn an export into the arrays every snapshot reads (done once per build)."""
    cust_df, orders_df = exports.get("customers"), exports.get("orders")
    cust_ids, cust_keys, (cust_codes, order_codes) = _universe([cust_df, orders_df], "customer_id")
    n_c = len(cust_ids)
    customers = _aligned(cust_df, cust_codes, n_c)
    created = (
        tb.day_numbers(customers["created_at"])
        if "created_at" in customers
        else np.full(n_c, np.nan)
    )
    orders = _orders(orders_df, order_codes)
    first_order = np.full(n_c, np.inf)
    np.minimum.at(first_order, orders.code, orders.day)
    first_order[np.isinf(first_order)] = np.nan
    contacts, dm = tb.contact_counts(exports.get("contacts"), cust_keys)

    lead_df = exports.get("leads")
    lead_ids, lead_keys, (lead_codes,) = _universe([lead_df], "lead_id")
    acts = exports.get("activities")
    camp = exports.get("campaign_events")
    # Dates and codes of the shared tables are parsed once for customers and leads.
    acts_cols = tb.activity_columns(acts) if _has(acts, ("customer_id", "lead_id")) else None
    camp_cols = tb.campaign_columns(camp) if _has(camp, ("customer_id", "lead_id")) else None
    return Prepared(
        as_of=exports.as_of,
        customer_ids=cust_ids,
        customers=customers,
        customer_created=created,
        customer_first_order=first_order,
        # Company names only serve matching leads to customers; normalising is costly.
        customer_name=tb.normalize_names(tb.text(customers.get("company_name"), n_c))
        if len(lead_ids)
        else np.full(n_c, None, dtype=object),
        contacts=contacts,
        decision_maker=dm,
        orders=orders,
        subscriptions=tb.subscriptions(
            exports.get("subscriptions"), cust_keys, renewal_grace_days
        ),
        customer_activities=tb.activities(acts, cust_keys, "customer_id", acts_cols),
        tickets=tb.tickets(exports.get("tickets"), cust_keys),
        customer_campaign=tb.campaign(camp, cust_keys, "customer_id", camp_cols),
        lead_ids=lead_ids,
        leads=tb.leads(_aligned(lead_df, lead_codes, len(lead_ids))),
        lead_activities=tb.activities(acts, lead_keys, "lead_id", acts_cols),
        lead_campaign=tb.campaign(camp, lead_keys, "lead_id", camp_cols),
    )
