"""Exports turned into date-sorted numpy arrays once, so each snapshot is a few slices.

Every event table becomes a :class:`~features.event_table.EventTable`: integer entity codes and
day numbers sorted by day, so "events on or before the snapshot" is one ``searchsorted`` and
per-entity counts and sums are ``np.bincount`` over a slice. This keeps a 12-snapshot build over
millions of events in seconds; the feature modules only read these arrays.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import event_tables as tb
from features.contract import ENTITY_TABLES
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
    customer_name: pa.Array
    """Normalised company names (large_string, null: unknown), for matching leads."""
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
    frames: dict[str, pd.DataFrame | None], key: str, defining: int
) -> tuple[pd.Index, dict[str, np.ndarray | None]]:
    """The distinct ``key`` ids of the first ``defining`` frames in order of first appearance,
    and every frame's row codes into them (-1: missing id or not among them; None: no column).

    The first frame's ids are dictionary-encoded; every later frame's are looked up in the
    ids found so far (Arrow ``index_in``), and a defining frame's unknown ids are encoded and
    appended. With a million distinct ids each lookup is a cache miss or two, and one in a
    finished table costs about two thirds of an insert-or-lookup into a growing one (85 against
    127 ns a row): the 31.5M ids of a million customers' tables take 2.8 s instead of 3.2 s.
    The other frames are looked up in one call, so their lookup table is built once.
    """
    columns = {
        name: pa.chunked_array(_large_chunks(f[key]), type=pa.large_string())
        for name, f in frames.items()
        if f is not None and key in f
    }
    names = list(frames)
    ids = pa.array([], type=pa.large_string())
    codes: dict[str, np.ndarray | None] = dict.fromkeys(frames)
    for name in names[:defining]:
        if name in columns:
            codes[name], ids = _defining_codes(columns[name], ids)
    others = [name for name in names[defining:] if name in columns]
    if others:
        found = pc.index_in(
            pa.chunked_array([c for n in others for c in columns[n].chunks], pa.large_string()),
            value_set=ids,
        )
        at = 0
        for name in others:
            codes[name] = _filled_codes(found.slice(at, len(columns[name])))
            at += len(columns[name])
    return pd.Index(ids.to_numpy(zero_copy_only=False), dtype=object), codes


def _checked_universe(
    exports: Exports, frames: dict[str, pd.DataFrame | None], key: str, defining: int
) -> tuple[pd.Index, dict[str, np.ndarray | None]]:
    """:func:`_universe` from the lookups of the data-quality gate when it did them all
    (:meth:`~features.exports.Exports.codes`): the gate leaves the entity table's ids distinct
    and every other row's id among them or missing, so the universe is that table's ids in
    order and the codes are the gate's (a million customers: ~2.5 s of hash lookups saved)."""
    names = [name for name, f in frames.items() if f is not None and key in f]
    found = {name: exports.codes(name, key) for name in names}
    if not names or names[0] != ENTITY_TABLES[key] or any(c is None for c in found.values()):
        return _universe(frames, key, defining)
    ids = frames[names[0]][key].astype("string").to_numpy(dtype=object)
    return pd.Index(ids, dtype=object), {**dict.fromkeys(frames), **found}


def _defining_codes(column: pa.ChunkedArray, ids: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes of ``column`` into ``ids`` followed by its ids not among them (encoded in order of
    first appearance), and those ids."""
    if not len(ids):
        encoded = pc.dictionary_encode(column)
        if not encoded.num_chunks:
            return np.empty(0, dtype=np.int64), ids
        return dictionary_indices(encoded.chunks), encoded.chunk(encoded.num_chunks - 1).dictionary
    found = pc.index_in(column, value_set=ids)
    codes = _filled_codes(found)
    unknown = (codes < 0) & column.is_valid().to_numpy(zero_copy_only=False)
    if unknown.any():
        new = pc.dictionary_encode(column.filter(pa.array(unknown)))
        codes[unknown] = len(ids) + dictionary_indices(new.chunks)
        new_ids = new.chunk(new.num_chunks - 1).dictionary
        ids = pa.concat_arrays([ids, new_ids.cast(pa.large_string())])
    return codes, ids


def _filled_codes(found: pa.ChunkedArray) -> np.ndarray:
    """``index_in`` results as one int64 array, -1 where nothing was found."""
    out = np.empty(len(found), dtype=np.int64)
    at = 0
    for c in found.chunks:
        out[at : at + len(c)] = (c.fill_null(-1) if c.null_count else c).to_numpy()
        at += len(c)
    return out


def dictionary_indices(chunks: list[pa.DictionaryArray], dtype=np.int64) -> np.ndarray:
    """Dictionary indices as one array (-1: missing), copied chunk by chunk into it.

    At millions of rows a whole-column int32 copy, its concatenation and its int64 cast are
    each a fresh allocation the kernel must zero; one output array is all that is needed.
    """
    out = np.empty(sum(len(c) for c in chunks), dtype=dtype)
    at = 0
    for c in chunks:
        indices = c.indices.fill_null(-1) if c.null_count else c.indices
        out[at : at + len(c)] = indices.to_numpy()
        at += len(c)
    return out


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
    return df.reset_index(drop=True).reindex(_last_rows(codes, n)).reset_index(drop=True)


def _last_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """Per id, the position of its last row among ``codes`` (-1: no row)."""
    last = np.full(n, -1, dtype=np.int64)
    known = codes >= 0
    np.maximum.at(last, codes[known], np.flatnonzero(known))
    return last


def _orders(df: pd.DataFrame | None, code: np.ndarray | None) -> EventTable:
    names = ("paid", "paid_amount", "refund", "cat")
    if df is None or df.empty or code is None:
        table = EventTable.empty(names)
        table.cols["paid"] = table.cols["refund"] = np.empty(0, dtype=bool)  # masks, as below
        return table
    n = len(df)
    status = df["status"] if "status" in df else pd.Series(pd.NA, index=df.index)
    if not isinstance(status.dtype, pd.CategoricalDtype):  # a categorical compares its codes
        status = status.astype("string")
    # A missing status counts as paid: exports without a status column list paid orders only.
    paid = (status.isna() | (status == PAID)).to_numpy(dtype=bool)
    refund = status.isin(REFUND_STATUSES).fillna(False).to_numpy(dtype=bool)
    # Missing amounts become 0 after the gather, in place: no full-size copy to gather from.
    amount = pd.to_numeric(df["amount"], errors="coerce").astype("float64").to_numpy()
    # Category codes, not names: labels compare codes (see ``EventTable.labels``), so millions
    # of order rows never become Python strings.
    cat, names = (
        _categories(df["product_category"])
        if "product_category" in df
        else (np.full(n, -1, dtype=np.int8), [])
    )
    # Flags stay booleans (a byte a row, not eight: 150 MB less at a million customers); the
    # counts read them as weights, widened a window or a fold step at a time.
    table = EventTable.from_codes(
        code,
        tb.day_numbers(df["order_date"]),
        {"amount": amount, "paid": paid, "refund": refund, "cat": cat},
    )
    c = table.cols
    # The features read paid amounts only: the amounts become them in place (no second
    # event-sized column kept: 85 MB at a million customers).
    paid_amount = c["amount"]
    paid_amount[np.isnan(paid_amount)] = 0.0
    paid_amount *= c["paid"]
    table.cols = {
        "paid": c["paid"],
        "paid_amount": paid_amount,
        "refund": c["refund"],
        "cat": c["cat"],
    }
    table.labels["cat"] = tuple(str(name) for name in names)
    return table


_CUSTOMER_TABLES = (
    "customers",
    "orders",  # these two define the customers
    "contacts",
    "subscriptions",
    "activities",
    "tickets",
    "campaign_events",
)
_LEAD_TABLES = ("leads", "activities", "campaign_events")  # leads define the leads


def _categories(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of ``values`` in order of first appearance (-1: missing) and their names, like
    ``pd.factorize``; the codes are the smallest integers that hold them, not int64."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # renumber its codes: no strings
        own = values.cat.codes.to_numpy()
        seen = pd.unique(own[own >= 0])  # categories in order of first appearance
        dtype = np.min_scalar_type(-max(len(seen), 1))
        renumber = np.full(len(values.cat.categories) + 1, -1, dtype=dtype)  # last: missing
        renumber[seen] = np.arange(len(seen))
        return renumber[own], [str(v) for v in values.cat.categories[seen]]
    encoded = pc.dictionary_encode(pa.chunked_array(_large_chunks(values), pa.large_string()))
    last = encoded.num_chunks - 1  # every chunk holds the whole dictionary
    names = encoded.chunk(last).dictionary.to_pylist() if encoded.num_chunks else []
    dtype = np.min_scalar_type(-max(len(names), 1))
    return dictionary_indices(encoded.chunks, dtype), names


def prepare(exports: Exports, *, renewal_grace_days: int = 30) -> Prepared:
    """Turn an export into the arrays every snapshot reads (done once per build).

    The lead side, the parsing of the activity and campaign tables, the customers' names and
    their activity and campaign tables run in a worker thread while this thread encodes the
    customer ids and builds orders, subscriptions and tickets: they share no arrays but the
    parsed columns and the id codes, and Arrow compute, the regexes and most numpy release the
    GIL, so the two run on two cores. Each piece is computed as before: the same arrays, in
    any order.
    """
    frames = {t: exports.get(t) for t in _CUSTOMER_TABLES}
    lead_frames = {t: exports.get(t) for t in _LEAD_TABLES}
    acts, camp = frames["activities"], frames["campaign_events"]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as worker:
        # One worker runs its jobs in order: the parsed columns are ready for the lead side,
        # and the lead side is known when the customers' names are normalised.
        parsed = worker.submit(_parsed_events, acts, camp)
        lead_side = worker.submit(_lead_side, exports, lead_frames, parsed)
        raw_names = worker.submit(_customer_names, frames["customers"], lead_side)
        cust_ids, cust = _checked_universe(exports, frames, "customer_id", defining=2)
        n_c = len(cust_ids)
        customer_rows = cust.pop("customers")
        # The worker builds the customers' activity and campaign tables once it is done with
        # the above, while this thread builds orders, subscriptions and tickets.
        event_codes = cust.pop("activities"), cust.pop("campaign_events")
        events = worker.submit(_customer_events, acts, camp, *event_codes, parsed)
        customers = _aligned(frames["customers"], customer_rows, n_c)
        created = (
            tb.day_numbers(customers["created_at"])
            if "created_at" in customers
            else np.full(n_c, np.nan)
        )
        orders = _orders(frames["orders"], cust.pop("orders"))
        first_order = np.full(n_c, np.inf)
        np.minimum.at(first_order, orders.code, orders.day)
        first_order[np.isinf(first_order)] = np.nan
        contacts, dm = tb.contact_counts(frames["contacts"], cust.pop("contacts"), n_c)
        subscriptions = tb.subscriptions(
            frames["subscriptions"], cust.pop("subscriptions"), renewal_grace_days
        )
        tickets = tb.tickets(frames["tickets"], cust.pop("tickets"))
        # Codes are popped as they are used, so each is freed once its table is built.
        customer_activities, customer_campaign = events.result()
        lead_ids, leads, lead_activities, lead_campaign = lead_side.result()
        customer_name = _aligned_names(raw_names.result(), customer_rows, n_c)
    return Prepared(
        as_of=exports.as_of,
        customer_ids=cust_ids,
        customers=customers,
        customer_created=created,
        customer_first_order=first_order,
        customer_name=customer_name,
        contacts=contacts,
        decision_maker=dm,
        orders=orders,
        subscriptions=subscriptions,
        customer_activities=customer_activities,
        tickets=tickets,
        customer_campaign=customer_campaign,
        lead_ids=lead_ids,
        leads=leads,
        lead_activities=lead_activities,
        lead_campaign=lead_campaign,
    )


_Parsed = tuple[np.ndarray, dict[str, np.ndarray]] | None


def _parsed_events(
    acts: pd.DataFrame | None, camp: pd.DataFrame | None
) -> tuple[_Parsed, _Parsed]:
    """Dates and codes of the activity and campaign tables, parsed once for customers and
    leads (None: a table without entity ids)."""
    acts_cols = tb.activity_columns(acts) if _has(acts, ("customer_id", "lead_id")) else None
    camp_cols = tb.campaign_columns(camp) if _has(camp, ("customer_id", "lead_id")) else None
    return acts_cols, camp_cols


def _lead_side(exports: Exports, frames: dict[str, pd.DataFrame | None], parsed: Future):
    """Lead ids, lead rows and the lead activity and campaign tables (see :func:`prepare`)."""
    lead_ids, lead = _checked_universe(exports, frames, "lead_id", defining=1)
    lead_df, acts, camp = frames.values()
    leads = tb.leads(_aligned(lead_df, lead.pop("leads"), len(lead_ids)))
    acts_cols, camp_cols = parsed.result()
    return (
        lead_ids,
        leads,
        tb.activities(acts, lead.pop("activities"), acts_cols),
        tb.campaign(camp, lead.pop("campaign_events"), camp_cols),
    )


def _customer_events(acts, camp, acts_codes, camp_codes, parsed: Future):
    """The customers' activity and campaign tables (see :func:`prepare`)."""
    acts_cols, camp_cols = parsed.result()
    return tb.activities(acts, acts_codes, acts_cols), tb.campaign(camp, camp_codes, camp_cols)


def _customer_names(customers: pd.DataFrame | None, lead_side: Future) -> pa.Array | None:
    """Normalised company names of the customers table's rows, or None when there are no
    leads: they only serve matching leads to customers, and normalising is costly."""
    if customers is None or not len(lead_side.result()[0]):  # done: jobs run in order
        return None
    return tb.normalize_names(customers.get("company_name"), len(customers))


def _aligned_names(names: pa.Array | None, codes: np.ndarray | None, n: int) -> pa.Array:
    """Per customer, the normalised name of its last row (null: no row or no name)."""
    if names is None or codes is None:
        return pa.nulls(n, pa.large_string())
    last = _last_rows(codes, n)
    return names.take(pa.array(last, mask=last < 0))
