"""Who is in a snapshot (eligibility) and what happened after it (labels), per task.

Eligibility reads only data on or before the snapshot ``s``; labels read the window
``(s, s + window_days]``. Customers with a known ``created_at`` after ``s`` are never eligible;
without a customers table the customers are the ids seen in orders.

Leads: the export holds no disqualification date, so a disqualified lead counts as open while
it is recent (``lead_score.recent_days`` after creation), like any lead that did not convert,
and gets label 0. Guessing the date from its last activity would let events after ``s`` change
who is in the snapshot at ``s``. A lead marked converted without ``converted_at`` has unknown
timing and is left out. In the scoring snapshot (at the export's as-of), disqualified leads are
left out: their status is known then.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from features.config import FeaturesConfig
from features.events import Prepared, to_day


def _created_by(prep: Prepared, s: int) -> np.ndarray:
    return ~(prep.customer_created > s)  # unknown created_at: decided by the orders


def _paid_between(
    prep: Prepared, after: float, upto: float, category: str | None = None, *, fold: str = "paid"
):
    """Customers with a paid order (of ``category``) in ``(after, upto]``. ``fold`` names the
    folds of long windows: windows ending at the snapshot share the customer features' folds,
    windows after it (labels) need their own per window length, as a fold only moves forward."""
    o, n = prep.orders, len(prep.customer_ids)
    if category is None:
        return o.window_count(fold, n, after, upto, o.cols["paid"]) > 0
    names = o.labels.get("cat", ())
    code = names.index(category) if category in names else -2  # -2: no order has it
    weights = o.cols["paid"] * (o.cols["cat"] == code)
    return o.count(n, o.span(after, upto), weights) > 0


def live_rows(subs: pd.DataFrame, s: int) -> pd.Series:
    """Subscriptions live on day ``s``: started by it, not ended before it, not cancelled by it.

    An open end or cancellation date (NaN) compares False, so it never ends a subscription.
    """
    return (subs["start"] <= s) & ~(subs["end"] < s) & ~(subs["cancelled"] <= s)


def live_subscription(prep: Prepared, s: int) -> np.ndarray:
    """Customers with a live subscription on day ``s`` (see :func:`live_rows`)."""
    subs = prep.subscriptions
    out = np.zeros(len(prep.customer_ids), bool)
    out[subs.loc[live_rows(subs, s), "code"].to_numpy("int64")] = True
    return out


def _subscription_ended(prep: Prepared, s: int, end: int) -> np.ndarray:
    subs = prep.subscriptions
    cancelled = (subs["cancelled"] > s) & (subs["cancelled"] <= end)
    lapsed = (subs["end"] > s) & (subs["end"] <= end) & ~subs["renewed"].astype(bool)
    out = np.zeros(len(prep.customer_ids), bool)
    out[subs.loc[cancelled | lapsed, "code"].to_numpy("int64")] = True
    return out


def _lead_status_is(prep: Prepared, status: str) -> np.ndarray:
    """Leads whose status is ``status`` (compared in Arrow; a missing status never matches)."""
    cache = prep.cache.setdefault("lead_status", {})
    if status not in cache:
        same = prep.leads["status"].astype("string") == status
        cache[status] = same.fillna(False).to_numpy(dtype=bool)
    return cache[status]


def eligible(prep: Prepared, *, task: str, snapshot: date, config: FeaturesConfig) -> np.ndarray:
    """Boolean mask over the task's entities (customers or leads) in the snapshot."""
    s = to_day(snapshot)
    if task == "churn":
        cfg = config.churn
        active = _paid_between(prep, s - cfg.lookback_days, s)
        if cfg.include_subscriptions:
            active |= live_subscription(prep, s)
        return _created_by(prep, s) & active
    if task == "repurchase":
        recent = _paid_between(prep, s - config.repurchase.recent_order_days, s)
        return _created_by(prep, s) & recent
    if task == "lead_score":
        leads = prep.leads
        created = leads["created"].to_numpy(float)
        converted = leads["converted"].to_numpy(float)
        recent = (created <= s) & (created >= s - config.lead_score.recent_days)
        still_open = ~(converted <= s)
        unknown_timing = _lead_status_is(prep, "converted") & np.isnan(converted)
        out = recent & still_open & ~unknown_timing
        if s >= to_day(prep.as_of):
            out &= ~_lead_status_is(prep, "disqualified")
        return out
    raise ValueError(f"unknown task {task!r}")


def labels(prep: Prepared, *, task: str, snapshot: date, config: FeaturesConfig) -> np.ndarray:
    """0/1 outcome (int64) of every entity of the task in the window after ``snapshot``."""
    s = to_day(snapshot)
    if task == "churn":
        cfg = config.churn
        end = s + cfg.window_days
        stopped = ~_paid_between(prep, s, end, fold=f"paid_next_{cfg.window_days}d")
        if not cfg.include_subscriptions or cfg.definition == "orders":
            churned = stopped
        elif cfg.definition == "subscription_aware":
            live = live_subscription(prep, s)
            churned = np.where(live, _subscription_ended(prep, s, end), stopped)
        else:
            churned = stopped | _subscription_ended(prep, s, end)
        return churned.astype("int64")
    if task == "repurchase":
        cfg = config.repurchase
        bought = _paid_between(
            prep, s, s + cfg.window_days, cfg.target_category, fold=f"paid_next_{cfg.window_days}d"
        )
        return bought.astype("int64")
    if task == "lead_score":
        converted = prep.leads["converted"].to_numpy(float)
        won = (converted > s) & (converted <= s + config.lead_score.window_days)
        return won.astype("int64")
    raise ValueError(f"unknown task {task!r}")


def window_days(task: str, config: FeaturesConfig) -> int:
    """The task's prediction window in days."""
    return {
        "churn": config.churn.window_days,
        "repurchase": config.repurchase.window_days,
        "lead_score": config.lead_score.window_days,
    }[task]
