"""Customer features at one snapshot (churn and repurchase share them).

Every value uses only rows dated on or before the snapshot: event tables are sliced with
``EventTable.span(..., S)``. Contacts carry no date in the export contract, so contact counts
are the export's current state (documented limitation). Subscription ``end_date`` is read as the
contracted term end, known when the subscription was signed.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from features.config import FeaturesConfig
from features.contract import CHANNELS
from features.customer_attributes import (
    COMPANY_ATTRIBUTES,
    sensitive_columns,
    static_columns,
)
from features.event_table import EventTable
from features.event_tables import EVENT_GROUPS
from features.events import Prepared, to_day
from features.labels import live_rows
from features.specs import FeatureSpec, cat, num

_LAST90 = 90
_SAT_DAYS = 365
_NEG = {"churn": -1, "repurchase": 1}  # more activity: less churn, more repurchase
_POS = {"churn": 1, "repurchase": -1}


def customer_specs(config: FeaturesConfig) -> list[FeatureSpec]:
    """The registry of customer features, in column order (depends on the lookbacks)."""
    specs = [
        num(
            "days_since_last_order",
            "Days since the last paid order",
            "no paid order in {value:.0f} days",
            **_POS,
        )
    ]
    # Only the shortest window carries a direction. LightGBM enforces a direction with every
    # other feature held fixed, and the windows are nested: at a fixed count of the last 30
    # days, more orders over 90 or 365 days mean ordering that has thinned out lately, the
    # sign of a customer about to stop (more churn, less repurchase), not the opposite.
    shortest = min(config.lookbacks_days, default=None)
    for lb in config.lookbacks_days:
        direction = _NEG if lb == shortest else {}
        specs += [
            num(
                f"orders_{lb}d",
                f"Paid orders in the last {lb} days",
                f"{{value:.0f}} paid orders in the last {lb} days",
                **direction,
            ),
            num(
                f"spend_{lb}d",
                f"Amount of paid orders in the last {lb} days",
                f"spent {{value:,.0f}} in the last {lb} days",
                **direction,
            ),
        ]
    specs += [
        num("orders_total", "Paid orders since the first order", "{value:.0f} paid orders in all"),
        num("spend_total", "Amount of all paid orders", "spent {value:,.0f} in all"),
        num("avg_order_value", "Average paid order amount", "average order of {value:,.0f}"),
        num(
            "spend_trend_90d",
            "Spend in the last 90 days minus the 90 days before",
            "spend changed by {value:+,.0f} versus the previous 90 days",
            **_NEG,
        ),
        num(
            "refunds_365d",
            "Refunded or cancelled orders in the last 365 days",
            "{value:.0f} refunded or cancelled orders in a year",
        ),
        num(
            "refund_share_365d",
            "Share of orders refunded or cancelled in the last 365 days",
            "{value:.0%} of orders refunded or cancelled",
        ),
        num(
            "category_breadth",
            "Distinct product categories bought",
            "bought from {value:.0f} product categories",
        ),
        num(
            "tenure_days",
            "Days since the customer was created (or first ordered)",
            "customer for {value:.0f} days",
        ),
        num(
            "has_subscription",
            "A subscription is live (1) or not (0)",
            "live subscription: {value:.0f}",
        ),
        cat(
            "subscription_plan",
            "Plan of the live subscription ('none' without one)",
            "plan {value}",
        ),
        num(
            "subscription_fee", "Monthly fee of the live subscription", "monthly fee {value:,.0f}"
        ),
        num(
            "subscription_days_to_end",
            "Days until the live subscription's term ends",
            "subscription ends in {value:.0f} days",
        ),
    ]
    specs += [
        num(
            f"tickets_{lb}d",
            f"Support tickets opened in the last {lb} days",
            f"{{value:.0f}} support tickets in the last {lb} days",
        )
        for lb in config.lookbacks_days
    ]
    specs += [
        num("open_tickets", "Support tickets open at the snapshot", "{value:.0f} open tickets"),
        num(
            "satisfaction_365d",
            "Mean satisfaction of tickets closed in the last 365 days",
            "mean ticket satisfaction {value:.1f}",
            churn=-1,
        ),
    ]
    specs += [
        num(
            f"activities_{ch}_90d",
            f"Activities by {ch} in the last 90 days",
            f"{{value:.0f}} {ch} activities in the last 90 days",
        )
        for ch in CHANNELS
    ]
    specs += [
        num(
            "days_since_last_activity",
            "Days since the last sales or service activity",
            "no activity in {value:.0f} days",
            churn=1,
        ),
        num(
            "campaign_events_90d",
            "Campaign events in the last 90 days",
            "{value:.0f} campaign interactions in 90 days",
            **_NEG,
        ),
    ]
    specs += [
        num(
            f"campaign_{g}_90d",
            f"Campaign events of type {'/'.join(t)} in the last 90 days",
            f"{{value:.0f}} campaign {g} events in 90 days",
        )
        for g, t in EVENT_GROUPS.items()
    ]
    specs += [
        cat(a, f"Company {a.replace('_', ' ')}", f"{a.replace('_', ' ')} is {{value}}")
        for a in COMPANY_ATTRIBUTES
    ]
    specs += [
        num("contacts", "Known contacts at the company", "{value:.0f} known contacts"),
        num(
            "has_decision_maker",
            "A decision maker is among the contacts (1) or not (0)",
            "decision maker known: {value:.0f}",
            churn=-1,
        ),
    ]
    return specs


def _category_firsts(prep: Prepared) -> EventTable:
    """Per (customer, category) bought: the customer and the day of the first paid order.

    Breadth at a snapshot is then the count of pairs first bought on or before it, folded
    forward from snapshot to snapshot instead of a distinct count over all history.
    """
    if "category_firsts" not in prep.cache:
        o = prep.orders
        cats = len(o.labels.get("cat", ()))
        rows = np.flatnonzero(o.cols["paid"] & (o.cols["cat"] >= 0))
        pair = o.code[rows] * cats + o.cols["cat"][rows]
        # Orders are sorted by day, so a pair's first row is its first purchase; the first
        # row per pair comes from one pass over a table of all pairs, not from sorting them.
        seq = np.arange(len(rows))
        first = np.full(len(prep.customer_ids) * cats, len(rows))
        np.minimum.at(first, pair, seq)
        rows = rows[first[pair] == seq]
        prep.cache["category_firsts"] = EventTable(code=o.code[rows], day=o.day[rows])
    return prep.cache["category_firsts"]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _plans(prep: Prepared) -> tuple[np.ndarray, pa.Array]:
    """Per subscription row, its plan's code in the names, which end with 'none' (no live
    subscription): a snapshot's plan column is one Arrow ``take``, not a million strings."""
    if "subscription_plans" not in prep.cache:
        plan = prep.subscriptions["plan"].fillna("unknown").to_numpy(dtype=object)
        codes, names = pd.factorize(plan)
        names = pa.array([*map(str, names), "none"], type=pa.large_string())
        prep.cache["subscription_plans"] = (codes.astype(np.int64), names)
    return prep.cache["subscription_plans"]


def _subscription_columns(prep: Prepared, s: int) -> dict[str, object]:
    n = len(prep.customer_ids)
    subs = prep.subscriptions
    # Sorted by (code, start): keeping the last live row keeps the latest live subscription.
    live = subs[live_rows(subs, s)].drop_duplicates("code", keep="last")
    code = live["code"].to_numpy("int64")
    plan_codes, plan_names = _plans(prep)
    plan = np.full(n, len(plan_names) - 1, dtype=np.int64)  # 'none'
    plan[code] = plan_codes[live.index.to_numpy()]
    has, fee, to_end = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    has[code] = 1.0
    fee[code] = live["fee"].to_numpy(float)
    to_end[code] = live["end"].to_numpy(float) - s
    return {
        "has_subscription": has,
        "subscription_plan": pd.array(plan_names.take(pa.array(plan)), dtype="string"),
        "subscription_fee": fee,
        "subscription_days_to_end": to_end,
    }


def customer_features(prep: Prepared, *, snapshot: date, config: FeaturesConfig) -> pd.DataFrame:
    """Features of every customer of the export at ``snapshot`` (rows follow ``customer_ids``).

    Includes the ``sensitive__*`` columns; eligibility is decided elsewhere (labels module).
    """
    s = to_day(snapshot)
    n = len(prep.customer_ids)
    o = prep.orders
    cols: dict[str, object] = {}
    # Whole-history columns are folded forward from the previous snapshot (fold_upto).
    last = o.day_upto("last_paid", n, s, keep=o.cols["paid"])  # a boolean mask already
    cols["days_since_last_order"] = s - last
    spend: dict[int, np.ndarray] = {}
    for lb in config.lookbacks_days:
        cols[f"orders_{lb}d"] = o.window_count("paid", n, s - lb, s, o.cols["paid"])
        cols[f"spend_{lb}d"] = spend[lb] = o.count(n, o.span(s - lb, s), o.cols["paid_amount"])
    orders_total = o.total_upto("paid", n, s, o.cols["paid"])
    spend_total = o.total_upto("spend_total", n, s, o.cols["paid_amount"])
    cols["orders_total"], cols["spend_total"] = orders_total, spend_total
    cols["avg_order_value"] = _ratio(spend_total, orders_total)
    # The 90-day spend is a lookback column already with the default lookbacks: same sums.
    recent = spend.get(_LAST90)
    if recent is None:
        recent = o.count(n, o.span(s - _LAST90, s), o.cols["paid_amount"])
    before = o.count(n, o.span(s - 2 * _LAST90, s - _LAST90), o.cols["paid_amount"])
    cols["spend_trend_90d"] = recent - before
    refunds = o.window_count("refund", n, s - 365, s, o.cols["refund"])
    cols["refunds_365d"] = refunds
    cols["refund_share_365d"] = _ratio(refunds, o.window_count("rows", n, s - 365, s))
    cols["category_breadth"] = _category_firsts(prep).total_upto("breadth", n, s)
    first = np.where(prep.customer_first_order <= s, prep.customer_first_order, np.nan)
    start = np.where(prep.customer_created <= s, prep.customer_created, first)
    cols["tenure_days"] = s - start
    cols.update(_subscription_columns(prep, s))

    t = prep.tickets
    for lb in config.lookbacks_days:
        cols[f"tickets_{lb}d"] = t.window_count("rows", n, s - lb, s)
    t_hist = t.span(-np.inf, s)
    still_open = ~(t.cols["closed"][t_hist] <= s)
    cols["open_tickets"] = np.bincount(t.code[t_hist][still_open], minlength=n).astype(float)
    rows = t.span(s - _SAT_DAYS, s)
    rated = (t.cols["closed"][rows] <= s) & ~np.isnan(t.cols["satisfaction"][rows])
    code = t.code[rows][rated]
    sat_sum = np.bincount(code, weights=t.cols["satisfaction"][rows][rated], minlength=n)
    cols["satisfaction_365d"] = _ratio(sat_sum, np.bincount(code, minlength=n).astype(float))

    a = prep.customer_activities
    rows = a.span(s - _LAST90, s)
    for i, ch in enumerate(CHANNELS):
        mask = a.cols["channel"][rows] == i
        cols[f"activities_{ch}_90d"] = np.bincount(a.code[rows][mask], minlength=n).astype(float)
    cols["days_since_last_activity"] = s - a.day_upto("last_activity", n, s)

    c = prep.customer_campaign
    rows = c.span(s - _LAST90, s)
    cols["campaign_events_90d"] = c.count(n, rows)
    for i, g in enumerate(EVENT_GROUPS):
        mask = c.cols["group"][rows] == i
        cols[f"campaign_{g}_90d"] = np.bincount(c.code[rows][mask], minlength=n).astype(float)

    cols.update(static_columns(prep))
    cols["contacts"], cols["has_decision_maker"] = prep.contacts, prep.decision_maker
    out = pd.DataFrame(cols, copy=False)
    for name in out.columns:  # counts from bincount are float already; this keeps it certain
        if name not in COMPANY_ATTRIBUTES and name != "subscription_plan":
            if out[name].dtype != "float64":
                out[name] = out[name].astype("float64")
    return pd.concat([out, sensitive_columns(prep, snapshot)], axis=1)
