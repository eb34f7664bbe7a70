"""Property: events dated after a snapshot never change that snapshot's features."""

from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from features.build import snapshot_features
from features.config import FeaturesConfig
from features.contract import CHANNELS, EVENT_TYPES, ORDER_STATUSES, TASKS
from features.events import prepare
from tests.features.pit_data import base_exports, table

SNAPSHOTS = [
    date(2024, 2, 15),
    date(2024, 6, 15),
    date(2024, 6, 30),
    date(2024, 7, 11),
    date(2024, 9, 30),
]
CUSTOMERS = st.sampled_from(["C1", "C2", "C3", "C4", "C5", "C9", "new"])
LEADS = st.sampled_from(["L1", "L2", "L3", "L4", "L9"])
# Days after the snapshot; the first days after it are where an off-by-one would leak.
AFTER = st.one_of(
    st.just(1), st.integers(min_value=2, max_value=5), st.integers(min_value=1, max_value=500)
)
ANY_DAY = st.one_of(st.none(), st.integers(min_value=-400, max_value=500))
MONEY = st.floats(min_value=0, max_value=1e7, allow_nan=False)


def _day(snapshot: date, offset: int | None) -> str | None:
    return None if offset is None else (snapshot + timedelta(days=offset)).isoformat()


orders = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": CUSTOMERS,
            "after": AFTER,
            "amount": MONEY,
            "status": st.sampled_from(list(ORDER_STATUSES) + [None]),
            "product_category": st.sampled_from(["software", "hardware", "new_cat", None]),
        }
    ),
    max_size=8,
)
activities = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": st.one_of(CUSTOMERS, st.none()),
            "lead_id": st.one_of(LEADS, st.none()),
            "after": AFTER,
            "channel": st.sampled_from(CHANNELS),
        }
    ),
    max_size=8,
)
tickets = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": CUSTOMERS,
            "after": AFTER,
            "closed": ANY_DAY,
            "satisfaction": st.one_of(st.none(), st.floats(min_value=0, max_value=10)),
        }
    ),
    max_size=4,
)
events = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": st.one_of(CUSTOMERS, st.none()),
            "lead_id": st.one_of(LEADS, st.none()),
            "after": AFTER,
            "event_type": st.sampled_from(EVENT_TYPES),
        }
    ),
    max_size=8,
)
subscriptions = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": CUSTOMERS,
            "after": AFTER,
            "end": ANY_DAY,
            "cancelled": ANY_DAY,
            "monthly_fee": st.one_of(st.none(), MONEY),
            "plan": st.sampled_from(["pro", "x", None]),
        }
    ),
    max_size=3,
)


_BEFORE: dict[date, dict[str, pd.DataFrame]] = {}


def _features(ex, snapshot: date) -> dict[str, pd.DataFrame]:
    prep = prepare(ex)  # indexed once, shared by the three tasks
    cfg = FeaturesConfig()
    return {
        t: snapshot_features(ex, task=t, snapshot=snapshot, config=cfg, prepared=prep)
        for t in TASKS
    }


def _append(ex, name: str, rows: list[dict]):
    if rows:
        ex.tables[name] = pd.concat([ex.tables[name], table(name, rows)], ignore_index=True)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # explain is slow here
)
@given(
    snapshot=st.sampled_from(SNAPSHOTS),
    new_orders=orders,
    new_activities=activities,
    new_tickets=tickets,
    new_events=events,
    new_subs=subscriptions,
)
def test_events_after_the_snapshot_never_change_its_features(
    snapshot, new_orders, new_activities, new_tickets, new_events, new_subs
):
    if snapshot not in _BEFORE:
        _BEFORE[snapshot] = _features(base_exports(), snapshot)
    before = _BEFORE[snapshot]
    ex = base_exports()
    n = len(ex.tables["orders"])
    _append(
        ex,
        "orders",
        [
            {
                **{k: v for k, v in r.items() if k != "after"},
                "order_id": f"new{n + i}",
                "order_date": _day(snapshot, r["after"]),
            }
            for i, r in enumerate(new_orders)
        ],
    )
    _append(
        ex,
        "activities",
        [
            {
                "activity_id": f"na{i}",
                "customer_id": r["customer_id"],
                "lead_id": r["lead_id"],
                "activity_date": _day(snapshot, r["after"]),
                "channel": r["channel"],
            }
            for i, r in enumerate(new_activities)
        ],
    )
    _append(
        ex,
        "tickets",
        [
            {
                "ticket_id": f"nt{i}",
                "customer_id": r["customer_id"],
                "opened_at": _day(snapshot, r["after"]),
                "closed_at": _day(snapshot, r["closed"]),
                "satisfaction": r["satisfaction"],
            }
            for i, r in enumerate(new_tickets)
        ],
    )
    _append(
        ex,
        "campaign_events",
        [
            {
                "event_id": f"ne{i}",
                "customer_id": r["customer_id"],
                "lead_id": r["lead_id"],
                "event_time": _day(snapshot, r["after"]),
                "event_type": r["event_type"],
            }
            for i, r in enumerate(new_events)
        ],
    )
    _append(
        ex,
        "subscriptions",
        [
            {
                "subscription_id": f"ns{i}",
                "customer_id": r["customer_id"],
                "start_date": _day(snapshot, r["after"]),
                "end_date": _day(snapshot, r["end"]),
                "cancelled_at": _day(snapshot, r["cancelled"]),
                "monthly_fee": r["monthly_fee"],
                "plan": r["plan"],
            }
            for i, r in enumerate(new_subs)
        ],
    )
    after = _features(ex, snapshot)
    for task in TASKS:
        pd.testing.assert_frame_equal(before[task], after[task], check_exact=True)


def test_snapshots_are_not_empty():
    # Guards the property above against passing vacuously.
    for task in TASKS:
        sizes = [len(snapshot_features(base_exports(), task=task, snapshot=s)) for s in SNAPSHOTS]
        assert max(sizes) >= 2, task
