"""Exports turned into date-sorted numpy arrays once, so each snapshot is a few slices.

Every event table becomes a :class:`~features.event_tables.EventTable`: integer entity codes and
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

from features import event_tables as tb
from features.event_tables import EventTable
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


def _universe(frames: list[pd.DataFrame | None], key: str) -> pd.Index:
    ids = [f[key].dropna().astype("string") for f in frames if f is not None and key in f]
    if not ids:
        return pd.Index([], dtype=object)
    return pd.Index(pd.unique(pd.concat(ids, ignore_index=True)).astype(object))


def _aligned(df: pd.DataFrame | None, key: str, index: pd.Index) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame(index=range(len(index)))
    df = df[df[key].notna()].drop_duplicates(key, keep="last")
    keys = df[key].astype("string").to_numpy(dtype=object)
    return df.set_index(pd.Index(keys)).reindex(index).reset_index(drop=True)


def _orders(df: pd.DataFrame | None, index: pa.Array) -> EventTable:
    names = ("amount", "paid", "paid_amount", "refund", "cat")
    if df is None or df.empty:
        return EventTable.empty(names)
    n = len(df)
    status = df["status"].astype("string") if "status" in df else pd.Series(pd.NA, index=df.index)
    # A missing status counts as paid: exports without a status column list paid orders only.
    paid = (status.isna() | (status == PAID)).to_numpy(dtype=bool)
    refund = status.isin(REFUND_STATUSES).fillna(False).to_numpy(dtype=bool)
    amount = pd.to_numeric(df["amount"], errors="coerce").fillna(0.0).to_numpy(float)
    cats = df["product_category"].astype("string") if "product_category" in df else None
    cat = pd.factorize(cats)[0] if cats is not None else np.full(n, -1)
    return EventTable.build(
        index,
        df["customer_id"],
        tb.day_numbers(df["order_date"]),
        {
            "amount": amount,
            "paid": paid.astype(float),
            "paid_amount": amount * paid,
            "refund": refund.astype(float),
            "cat": cat,
            "cat_name": tb.text(cats, n),
        },
    )


def prepare(exports: Exports, *, renewal_grace_days: int = 30) -> Prepared:
    """Turn an export into the arrays every snapshot reads (done once per build)."""
    cust_df = exports.get("customers")
    cust_ids = _universe([cust_df, exports.get("orders")], "customer_id")
    n_c = len(cust_ids)
    customers = _aligned(cust_df, "customer_id", cust_ids)
    created = (
        tb.day_numbers(customers["created_at"])
        if "created_at" in customers
        else np.full(n_c, np.nan)
    )
    cust_keys = tb.id_array(cust_ids)  # converted once for every table's id lookup
    orders = _orders(exports.get("orders"), cust_keys)
    first_order = np.full(n_c, np.inf)
    np.minimum.at(first_order, orders.code, orders.day)
    first_order[np.isinf(first_order)] = np.nan
    contacts, dm = tb.contact_counts(exports.get("contacts"), cust_keys)

    lead_df = exports.get("leads")
    lead_ids = _universe([lead_df], "lead_id")
    lead_keys = tb.id_array(lead_ids)
    acts = exports.get("activities")
    camp = exports.get("campaign_events")
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
        customer_activities=tb.activities(acts, cust_keys, "customer_id"),
        tickets=tb.tickets(exports.get("tickets"), cust_keys),
        customer_campaign=tb.campaign(camp, cust_keys, "customer_id"),
        lead_ids=lead_ids,
        leads=tb.leads(_aligned(lead_df, "lead_id", lead_ids)),
        lead_activities=tb.activities(acts, lead_keys, "lead_id"),
        lead_campaign=tb.campaign(camp, lead_keys, "lead_id"),
    )
