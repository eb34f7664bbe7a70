"""``generate_export``: a realistic, messy CRM export of every table, with a hidden ground truth.

The same seed gives byte-identical files. Each concept draws from its own random stream, so
changing one (say, the mess) leaves the others as they were.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import TABLES
from features.sample import mess, names, vocab
from features.sample.customers import GROUND_TRUTH, build_contacts, build_customers
from features.sample.leads import BIAS, build_leads
from features.sample.orders import (
    DRIFT_NEW_CATEGORY_SHARE,
    DRIFT_ORDER_RATE,
    build_orders,
    build_subscriptions,
)
from features.sample.service import (
    DRIFT_TICKET_RATE,
    build_campaign_events,
    build_customer_activities,
    build_tickets,
)
from features.sample.spec import make_spec
from features.sample.timeline import day_text, offset_text, time_text, to_day
from features.sample.writer import check_target, write_export

LEADS_PER_CUSTOMER = 0.9
_STREAMS = (
    "leads",
    "customers",
    "sensitive",
    "contacts",
    "orders",
    "subscriptions",
    "tickets",
    "activities",
    "campaigns",
    "mess",
    "format",
)


def generate_export(
    out: Path,
    *,
    customers: int,
    seed: int,
    locale: str = "en",
    fmt: str = "csv",
    as_of: str | date | None = None,
    drift: str | date | None = None,
) -> dict:
    """Write a sample CRM export (every table of the contract) into ``out``.

    Parameters
    ----------
    out : folder to write to: new, empty, or holding a previous sample export (replaced).
    customers : number of distinct companies won (duplicate rows come on top).
    seed : random seed; the same seed gives byte-identical files.
    locale : ``en`` (canonical headers, UTF-8) or ``zh`` (Chinese headers and file names,
        GB18030, plus ``mapping.yaml``).
    fmt : ``csv`` or ``parquet``.
    as_of : cut-off date (default 2026-06-30); about three years of history precede it.
    drift : from this date, customers order less, open more tickets and buy a new category.

    Returns
    -------
    The content of ``out/export.json``: as_of, seed, counts, injected mess, ground truth.
    """
    spec = make_spec(
        customers=customers, seed=seed, locale=locale, fmt=fmt, as_of=as_of, drift=drift
    )
    out = Path(out)
    check_target(out)
    tables, injected = build_tables(
        customers=spec.customers,
        seed=spec.seed,
        start=to_day(spec.start),
        as_of=to_day(spec.as_of),
        drift=to_day(spec.drift) + 1 if spec.drift else None,  # behaviour shifts the day after
    )
    if spec.drift:
        injected["drift"] = {
            "date": spec.drift.isoformat(),
            "order_rate_factor": DRIFT_ORDER_RATE,
            "ticket_rate_factor": DRIFT_TICKET_RATE,
            "new_product_category": vocab.DRIFT_CATEGORY,
            "new_category_share": DRIFT_NEW_CATEGORY_SHARE,
        }
    meta = {
        "generator": "crmml demo-data",
        "as_of": spec.as_of.isoformat(),
        "history_start": spec.start.isoformat(),
        "seed": spec.seed,
        "customers": spec.customers,
        "locale": spec.locale,
        "format": spec.fmt,
        "encoding": "gb18030" if spec.locale == "zh" and spec.fmt == "csv" else "utf-8",
        "timezone": "Asia/Shanghai",
        "drift": spec.drift.isoformat() if spec.drift else None,
        "counts": {name: len(frame) for name, frame in tables.items()},
        "injected": injected,
        "ground_truth": GROUND_TRUTH,
    }
    meta["files"] = write_export(out, tables, meta)
    return meta


def build_tables(
    *, customers: int, seed: int, start: int, as_of: int, drift: int | None
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every canonical table (canonical columns, text dates) and the injected-mess summary."""
    rng = {name: np.random.default_rng([seed, i]) for i, name in enumerate(_STREAMS)}
    owners = vocab.N_OWNERS
    leads = build_leads(
        rng["leads"],
        n=max(5, round(LEADS_PER_CUSTOMER * customers)),
        start=start,
        as_of=as_of,
        n_owners=owners,
    )
    cust = build_customers(
        rng["customers"],
        rng["sensitive"],
        n=customers,
        start=start,
        as_of=as_of,
        leads=leads,
        n_owners=owners,
    )
    window = {"start": start, "as_of": as_of}
    orders = build_orders(rng["orders"], cust, drift=drift, **window)
    subs = build_subscriptions(rng["subscriptions"], cust, as_of=as_of)
    tickets = build_tickets(rng["tickets"], cust, drift=drift, **window)
    acts = pd.concat(
        [
            build_customer_activities(rng["activities"], cust, **window),
            pd.DataFrame({"row": -1, **leads.activities}),
        ],
        ignore_index=True,
    )
    lead_created = pd.to_datetime(leads.frame["created_at"]).to_numpy().astype("datetime64[D]")
    events = build_campaign_events(rng["campaigns"], cust, lead_created.astype(int), **window)

    m = rng["mess"]
    frame, source, dup_day = mess.add_duplicates(m, cust.frame, cust.parts, as_of=as_of)
    moved = {
        name: mess.split_events(m, df, source, dup_day, customers)
        for name, df in (
            ("orders", orders),
            ("tickets", tickets),
            ("activities", acts),
            ("campaign_events", events),
        )
    }
    frame["region"] = mess.respell(m, frame["region"], vocab.REGIONS)
    frame["city"] = mess.respell(m, frame["city"], vocab.CITIES)
    lead_frame = leads.frame.copy()
    lead_frame["region"] = mess.respell(m, lead_frame["region"], vocab.REGIONS)
    negative = mess.negate_amounts(m, orders)
    orders, unknown_ids = mess.add_orphans(m, orders, n_customers=len(frame))
    future = {}
    orders, future["orders"] = mess.add_future(m, orders, as_of=as_of)
    tickets, future["tickets"] = mess.add_future(m, tickets, as_of=as_of)
    tickets.loc[len(tickets) - future["tickets"] :, ["closed_at", "satisfaction"]] = None
    acts, future["activities"] = mess.add_future(m, acts, as_of=as_of)
    events, future["campaign_events"] = mess.add_future(m, events, as_of=as_of)
    orphans = len(orders) - int((orders["row"] < len(frame)).sum())

    customer_ids = names.make_ids("C", len(frame) + unknown_ids)
    frame["customer_id"] = customer_ids[: len(frame)]
    converted = np.flatnonzero(lead_frame["status"].to_numpy() == "converted")
    lead_frame.loc[converted, "customer_id"] = customer_ids[cust.lead_customer]
    lead_ids = lead_frame["lead_id"].to_numpy()

    f = rng["format"]
    with_time = f.random(len(acts)) < 0.12
    utc = f.random(len(events)) < 0.3
    acts["activity_date"] = day_text(acts["day"])
    acts.loc[with_time, "activity_date"] = time_text(acts["day"].to_numpy()[with_time])
    events["event_time"] = offset_text(events["day"], utc)
    orders["order_date"] = day_text(orders["day"])
    tickets["opened_at"] = day_text(tickets["day"])
    contacts = build_contacts(rng["contacts"], cust)
    contacts["customer_id"] = customer_ids[:customers][
        np.searchsorted(cust.frame["customer_id"].to_numpy(), contacts["customer_id"].to_numpy())
    ]
    tables = {
        "customers": frame,
        "contacts": contacts,
        "orders": _finish(orders, "orders", "O", customer_ids, lead_ids),
        "subscriptions": _finish(subs, "subscriptions", "S", customer_ids, lead_ids),
        "activities": _finish(acts, "activities", "A", customer_ids, lead_ids),
        "tickets": _finish(tickets, "tickets", "T", customer_ids, lead_ids),
        "leads": lead_frame,
        "campaign_events": _finish(events, "campaign_events", "E", customer_ids, lead_ids),
    }
    missing = {}
    for name, table in tables.items():
        missing.update(mess.blank(m, table, name))
    tables = {name: t[list(TABLES[name].column_names)] for name, t in tables.items()}

    dup_ids = customer_ids[customers : len(frame)].tolist()
    injected = _summary(
        tables,
        duplicate_of=dict(zip(dup_ids, customer_ids[source].tolist(), strict=True)),
        moved=moved,
        missing=missing,
        future=future,
        negative=negative,
        orphans={"orders": orphans, "unknown_customer_ids": unknown_ids},
        with_time=int(with_time.sum()),
        utc=int(utc.sum()),
    )
    return tables, injected


def _finish(
    df: pd.DataFrame, table: str, prefix: str, customer_ids: np.ndarray, lead_ids: np.ndarray
) -> pd.DataFrame:
    """Sort by date, number the rows and resolve customer/lead rows to ids."""
    df = df.sort_values(["day", "row"], kind="stable").reset_index(drop=True)
    df[TABLES[table].primary_key] = names.make_ids(prefix, len(df), width=7)
    row = df["row"].to_numpy()
    df["customer_id"] = np.where(row >= 0, customer_ids[np.maximum(row, 0)], None)
    if "lead" in df:
        lead = df["lead"].to_numpy()
        df["lead_id"] = np.where(lead >= 0, lead_ids[np.maximum(lead, 0)], None)
    return df


def _summary(
    tables: dict[str, pd.DataFrame],
    *,
    duplicate_of: dict[str, str],
    moved: dict[str, int],
    missing: dict[str, int],
    future: dict[str, int],
    negative: int,
    orphans: dict[str, int],
    with_time: int,
    utc: int,
) -> dict:
    """The "injected" section of export.json: what mess and bias went in, with counts."""
    spelled = {  # counted on the final tables: a respelled cell may have been blanked since
        f"{name}.{col}": int((~tables[name][col].dropna().isin(canon)).sum())
        for name, col, canon in (
            ("customers", "region", [r for r, _, _ in vocab.REGIONS]),
            ("customers", "city", [c for _, c, _ in vocab.CITIES]),
            ("leads", "region", [r for r, _, _ in vocab.REGIONS]),
        )
    }
    status = tables["orders"]["status"].value_counts()
    return {
        "duplicate_customers": {
            "companies": len(set(duplicate_of.values())),
            "extra_rows": len(duplicate_of),
            "events_moved_to_duplicates": moved,
            "variants": "city prefix (北京华信科技公司), short (华信科技), English "
            "(Huaxin Technology Co., Ltd.), full-width (ＡＢＣ科技) or (城市) in "
            "full-width brackets, lower case without punctuation",
            "duplicate_of": duplicate_of,
        },
        "inconsistent_spellings": spelled,
        "missing_values": missing,
        "future_dated_rows": future,
        "negative_amounts": {"orders": negative},
        "orphan_rows": orphans,
        "refunded_orders": int(status.get("refunded", 0)),
        "cancelled_orders": int(status.get("cancelled", 0)),
        "open_tickets": int(tables["tickets"]["closed_at"].isna().sum()),
        "activities_with_time_of_day": with_time,
        "event_times_in_utc_z": utc,
        "lead_bias": {
            **BIAS,
            "description": f"leads from region {BIAS['region']} were neglected by sales: "
            "slower first response, more never contacted, and lower conversion at equal "
            "source, size and seniority",
        },
    }
