"""Eligibility and labels of every task on tiny exports with known answers."""

from datetime import date

from features.config import FeaturesConfig
from features.events import prepare
from features.labels import eligible, labels, window_days
from tests.features.pit_data import exports, order

S = date(2024, 6, 30)  # snapshot; churn/repurchase window (S, 2024-09-28], lead (S, 2024-08-29]


def _result(ex, task, config=None, snapshot=S):
    config = config or FeaturesConfig()
    prep = prepare(ex)
    mask = eligible(prep, task=task, snapshot=snapshot, config=config)
    y = labels(prep, task=task, snapshot=snapshot, config=config)
    ids = prep.lead_ids if task == "lead_score" else prep.customer_ids
    return {str(i): int(v) for i, m, v in zip(ids, mask, y, strict=True) if m}


def _churn_export():
    return exports(
        customers=[
            {"customer_id": c, "created_at": "2023-01-01"}
            for c in ("stays", "leaves", "dormant", "subonly", "cancels", "renews")
        ]
        + [{"customer_id": "future", "created_at": "2024-07-01"}],
        orders=[
            order("1", "stays", "2024-06-20"),
            order("2", "stays", "2024-09-28"),  # last day of the window still counts
            order("3", "leaves", "2024-06-30"),  # on the snapshot: history, not outcome
            order("4", "leaves", "2024-09-29", status="paid"),  # one day after the window
            order("5", "dormant", "2023-06-01"),  # outside the 365-day lookback
            order("6", "cancels", "2024-05-01"),
            order("7", "cancels", "2024-08-01"),
            order("8", "renews", "2024-05-01"),
            order("9", "renews", "2024-08-01"),
            order("10", "future", "2024-06-01"),  # before created_at: not eligible
            order("11", "leaves", "2024-08-01", status="refunded"),  # not a paid order
        ],
        subscriptions=[
            {
                "subscription_id": "s1",
                "customer_id": "subonly",
                "start_date": "2024-01-01",
                "end_date": "2025-01-01",
            },
            {
                "subscription_id": "s2",
                "customer_id": "cancels",
                "start_date": "2024-01-01",
                "end_date": "2025-01-01",
                "cancelled_at": "2024-07-15",
            },
            {
                "subscription_id": "s3",
                "customer_id": "renews",
                "start_date": "2023-08-01",
                "end_date": "2024-07-31",
            },
            {
                "subscription_id": "s4",
                "customer_id": "renews",
                "start_date": "2024-08-10",
                "end_date": "2025-08-09",
            },
        ],
    )


def test_churn_eligibility_and_default_labels():
    got = _result(_churn_export(), "churn")
    assert got == {"stays": 0, "leaves": 1, "subonly": 1, "cancels": 1, "renews": 0}


def test_churn_orders_only_definition_and_subscription_aware():
    ex = _churn_export()
    orders_only = FeaturesConfig(churn={"definition": "orders"})
    assert _result(ex, "churn", orders_only)["cancels"] == 0
    aware = FeaturesConfig(churn={"definition": "subscription_aware"})
    got = _result(ex, "churn", aware)
    assert got["subonly"] == 0 and got["cancels"] == 1 and got["leaves"] == 1


def test_churn_subscription_ended_without_renewal_and_ignored_subscriptions():
    ex = exports(
        customers=[{"customer_id": "x", "created_at": "2023-01-01"}],
        orders=[order("1", "x", "2024-06-01"), order("2", "x", "2024-08-01")],
        subscriptions=[
            {
                "subscription_id": "s",
                "customer_id": "x",
                "start_date": "2023-08-01",
                "end_date": "2024-07-31",
            }
        ],
    )
    assert _result(ex, "churn") == {"x": 1}
    no_subs = FeaturesConfig(churn={"include_subscriptions": False})
    assert _result(ex, "churn", no_subs) == {"x": 0}


def test_churn_lookback_is_config():
    ex = _churn_export()
    assert "dormant" in _result(ex, "churn", FeaturesConfig(churn={"lookback_days": 500}))


def test_orders_only_export_uses_order_ids_as_customers():
    ex = exports(
        orders=[
            order("1", "a", "2024-06-01"),
            order("2", "b", "2024-05-01"),
            order("3", "b", "2024-07-01"),
        ]
    )
    assert _result(ex, "churn") == {"a": 1, "b": 0}
    assert _result(ex, "repurchase") == {"a": 0, "b": 1}


def test_repurchase_recent_order_window_and_target_category():
    ex = exports(
        orders=[
            order("1", "a", "2024-06-01"),
            order("2", "a", "2024-07-01", product_category="x"),
            order("3", "b", "2024-06-15"),
            order("4", "b", "2024-07-01", product_category="y"),
            order("5", "old", "2023-10-01"),
            order("6", "old", "2024-07-01"),
            order("7", "c", "2024-06-10"),
            order("8", "c", "2024-07-01", status="cancelled"),
        ]
    )
    assert _result(ex, "repurchase") == {"a": 1, "b": 1, "c": 0}
    target = FeaturesConfig(repurchase={"target_category": "x"})
    assert _result(ex, "repurchase", target) == {"a": 1, "b": 0, "c": 0}
    # Orders compare category codes: a category no order has matches nothing, not the
    # orders without a category.
    unseen = FeaturesConfig(repurchase={"target_category": "never-sold"})
    assert _result(ex, "repurchase", unseen) == {"a": 0, "b": 0, "c": 0}
    longer = FeaturesConfig(repurchase={"recent_order_days": 365})
    assert _result(ex, "repurchase", longer)["old"] == 1


def _leads_export():
    return exports(
        as_of="2024-12-31",
        leads=[
            {
                "lead_id": "wins",
                "created_at": "2024-06-10",
                "status": "converted",
                "converted_at": "2024-07-20",
            },
            {
                "lead_id": "late",
                "created_at": "2024-06-10",
                "status": "converted",
                "converted_at": "2024-09-01",
            },  # after the 60-day window
            {
                "lead_id": "won_before",
                "created_at": "2024-06-01",
                "status": "converted",
                "converted_at": "2024-06-29",
            },
            {"lead_id": "old", "created_at": "2024-05-01", "status": "open"},
            {"lead_id": "today", "created_at": "2024-06-30", "status": "open"},
            {"lead_id": "dq", "created_at": "2024-06-20", "status": "disqualified"},
            {"lead_id": "no_date", "created_at": "2024-06-20", "status": "converted"},
            {"lead_id": "future", "created_at": "2024-07-02", "status": "open"},
        ],
    )


def test_lead_eligibility_and_labels():
    got = _result(_leads_export(), "lead_score")
    assert got == {"wins": 1, "late": 0, "today": 0, "dq": 0}


def test_lead_recent_days_config_and_scoring_snapshot_drops_disqualified():
    ex = _leads_export()
    wide = FeaturesConfig(lead_score={"recent_days": 90})
    assert "old" in _result(ex, "lead_score", wide)
    zero = FeaturesConfig(lead_score={"recent_days": 0})
    assert _result(ex, "lead_score", zero) == {"today": 0}  # scored the day it is created
    ex.as_of = date(2024, 6, 30)  # the scoring snapshot: statuses are known then
    assert "dq" not in _result(ex, "lead_score")


def test_window_days_per_task():
    cfg = FeaturesConfig()
    assert [window_days(t, cfg) for t in ("churn", "repurchase", "lead_score")] == [90, 90, 60]
