"""Hand-made canonical exports for the point-in-time feature tests (typed like the gate's)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from features.contract import TABLES
from features.exports import Exports

_DTYPES = {
    "id": "string",
    "text": "string",
    "category": "string",
    "number": "float64",
    "bool": "boolean",
}


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table with every contract column, typed as the gate hands it over."""
    spec = TABLES[name]
    data = {}
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind == "date":
            data[col.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype(
                "datetime64[ns]"
            )
        else:
            data[col.name] = pd.Series(values, dtype=object).astype(_DTYPES[col.kind])
    unknown = {k for r in rows for k in r} - set(spec.column_names)
    assert not unknown, f"{name}: unknown columns {unknown}"
    return pd.DataFrame(data)


def exports(as_of: date | str = "2024-12-31", **tables: list[dict]) -> Exports:
    """An :class:`Exports` with the given tables (table name -> list of row dicts)."""
    return Exports(
        tables={name: table(name, rows) for name, rows in tables.items()},
        as_of=pd.Timestamp(as_of).date(),
        file_hashes={f"{name}.csv": "0" * 64 for name in tables},
        quality={"warnings": 0},
        source_dir="hand-made",
    )


def order(oid: str, cid: str, day: str, amount: float = 100.0, **kw) -> dict:
    return {
        "order_id": oid,
        "customer_id": cid,
        "order_date": day,
        "amount": amount,
        "status": kw.pop("status", "paid"),
        **kw,
    }


def base_exports(as_of: str = "2024-12-31") -> Exports:
    """A small export touching every table and rule, for build and property tests."""
    customers = [
        {
            "customer_id": "C1",
            "company_name": "Acme Trading Co",
            "industry": "retail",
            "region": "east",
            "city": "Shanghai",
            "company_size": "10-49",
            "segment": "b2b",
            "created_at": "2023-02-01",
            "gender": "f",
            "birth_year": 1980,
        },
        {
            "customer_id": "C2",
            "company_name": "北京云帆科技有限公司",
            "industry": "software",
            "region": "north",
            "segment": "b2b",
            "created_at": "2024-01-15",
            "gender": "m",
            "birth_year": 1999,
        },
        {"customer_id": "C3", "company_name": "Late Starter Ltd", "created_at": "2024-09-01"},
        {"customer_id": "C4", "company_name": "No Date Inc"},
    ]
    orders = [
        order("O1", "C1", "2023-03-01", 120, product_category="software"),
        order("O2", "C1", "2024-02-10", 80, product_category="hardware"),
        order("O3", "C1", "2024-05-20", 60, product_category="software", status="refunded"),
        order("O4", "C1", "2024-08-05", 200, product_category="services"),
        order("O5", "C2", "2024-01-20", 500, product_category="software"),
        order("O6", "C2", "2024-06-01", 50, product_category="software"),
        order("O7", "C3", "2024-09-10", 75, product_category="training"),
        order("O8", "C4", "2024-03-03", 40),
        order("O9", "C5", "2024-07-07", 30),  # only seen in orders
        order("O10", "C2", "2024-11-20", 90, product_category="hardware"),
    ]
    subscriptions = [
        {
            "subscription_id": "S1",
            "customer_id": "C2",
            "plan": "pro",
            "start_date": "2024-02-01",
            "end_date": "2025-01-31",
            "monthly_fee": 99.0,
        },
        {
            "subscription_id": "S2",
            "customer_id": "C1",
            "plan": "basic",
            "start_date": "2023-06-01",
            "end_date": "2024-05-31",
            "monthly_fee": 19.0,
            "cancelled_at": "2024-04-15",
        },
    ]
    tickets = [
        {
            "ticket_id": "T1",
            "customer_id": "C1",
            "opened_at": "2024-04-01",
            "closed_at": "2024-04-03",
            "satisfaction": 4.0,
        },
        {"ticket_id": "T2", "customer_id": "C1", "opened_at": "2024-07-01", "satisfaction": 2.0},
        {
            "ticket_id": "T3",
            "customer_id": "C2",
            "opened_at": "2024-06-10",
            "closed_at": "2024-06-20",
            "satisfaction": 5.0,
        },
    ]
    activities = [
        {
            "activity_id": "A1",
            "customer_id": "C1",
            "activity_date": "2024-06-15",
            "channel": "call",
        },
        {
            "activity_id": "A2",
            "customer_id": "C2",
            "activity_date": "2024-07-01",
            "channel": "wechat",
        },
        {"activity_id": "A3", "lead_id": "L1", "activity_date": "2024-06-03", "channel": "email"},
        {"activity_id": "A4", "lead_id": "L1", "activity_date": "2024-06-20", "channel": "call"},
        {"activity_id": "A5", "lead_id": "L2", "activity_date": "2024-07-12", "channel": "visit"},
    ]
    campaign_events = [
        {"event_id": "E1", "customer_id": "C1", "event_time": "2024-06-20", "event_type": "click"},
        {"event_id": "E2", "lead_id": "L1", "event_time": "2024-06-05", "event_type": "webinar"},
    ]
    leads = [
        {
            "lead_id": "L1",
            "created_at": "2024-06-01",
            "source": "web",
            "company_name": "ACME trading co",
            "industry": "retail",
            "region": "east",
            "job_title": "Sales Manager",
            "status": "converted",
            "converted_at": "2024-07-15",
        },
        {
            "lead_id": "L2",
            "created_at": "2024-07-10",
            "source": "fair",
            "company_name": "Zeta GmbH",
            "region": "south",
            "job_title": "总经理",
            "status": "disqualified",
        },
        {
            "lead_id": "L3",
            "created_at": "2024-12-20",
            "source": "web",
            "region": "west",
            "job_title": "engineer",
            "status": "open",
        },
        {
            "lead_id": "L4",
            "created_at": "2024-06-25",
            "source": "ads",
            "region": "east",
            "job_title": "VP Marketing",
            "status": "open",
        },
    ]
    contacts = [
        {
            "contact_id": "P1",
            "customer_id": "C1",
            "full_name": "Wang Fang",
            "title": "CEO",
            "email": "fang.wang@acme.example",
            "phone": "+86 138 0000 1111",
            "is_decision_maker": True,
        },
        {
            "contact_id": "P2",
            "customer_id": "C1",
            "full_name": "Li Lei",
            "email": "lilei@acme.example",
            "phone": "13900002222",
            "is_decision_maker": False,
        },
        {
            "contact_id": "P3",
            "customer_id": "C2",
            "full_name": "张伟",
            "email": "zw@yunfan.example",
            "phone": "010-5555-6666",
        },
    ]
    ex = exports(
        as_of,
        customers=customers,
        orders=orders,
        subscriptions=subscriptions,
        tickets=tickets,
        activities=activities,
        campaign_events=campaign_events,
        leads=leads,
        contacts=contacts,
    )
    ex.merge_map = {"C1-dup": "C1"}
    return ex
