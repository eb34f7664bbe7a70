"""Orders and subscriptions of the customers, drawn from their hidden behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.sample import vocab
from features.sample.customers import Customers
from features.sample.timeline import day_text, pick, poisson_times

DRIFT_ORDER_RATE = 0.6
DRIFT_NEW_CATEGORY_SHARE = 0.25


def _fade(cust: Customers, owner: np.ndarray, t: np.ndarray) -> np.ndarray:
    """1 while active, falling linearly to 0 over the decline period before the stop."""
    return np.clip((cust.stop[owner] - t) / cust.decline[owner], 0.0, 1.0)


def build_orders(
    rng: np.random.Generator, cust: Customers, *, start: int, as_of: int, drift: int | None
) -> pd.DataFrame:
    """Orders between the start of the history and ``as_of`` (ids assigned later, by date).

    Columns: canonical ``orders`` columns minus ``order_id``, plus ``row`` (customer row).
    """
    lo = np.maximum(cust.created, start).astype(float)
    hi = np.minimum(cust.stop, as_of + 1.0)
    owner, t = poisson_times(rng, lo, hi, cust.rate)
    # A new customer orders within days of signing (a converted lead's conversion day).
    first = cust.created + rng.exponential(4.0, len(lo))
    has_first = (first >= start) & (first < hi)
    owner = np.concatenate([np.flatnonzero(has_first), owner])
    t = np.concatenate([first[has_first], t])

    fade = _fade(cust, owner, t)
    season = 0.85 + 0.15 * np.cos(2 * np.pi * (np.mod(t, 365.25) - 350.0) / 365.25)
    keep = 0.25 + 0.75 * fade
    keep = keep * np.where(np.arange(len(t)) < has_first.sum(), 1.0, season)
    if drift is not None:
        keep = keep * np.where(t >= drift, DRIFT_ORDER_RATE, 1.0)
    kept = rng.random(len(t)) < keep
    owner, t, fade = owner[kept], t[kept], fade[kept]
    n = len(owner)

    amount = cust.amount[owner] * rng.lognormal(0.0, 0.35, n) * (0.55 + 0.45 * fade)
    category = np.array(vocab.PRODUCT_CATEGORIES, dtype=object)[
        pick(rng, n, vocab.PRODUCT_WEIGHTS)
    ]
    if drift is not None:
        new = (t >= drift) & (rng.random(n) < DRIFT_NEW_CATEGORY_SHARE)
        category = np.where(new, vocab.DRIFT_CATEGORY, category)
    u = cust.unhappy[owner]
    r = rng.random(n)
    refund = 0.025 + 0.03 * (u > 1.0)
    status = np.where(r < refund, "refunded", np.where(r < refund + 0.02, "cancelled", "paid"))
    return pd.DataFrame(
        {
            "row": owner,
            "day": np.floor(t),
            "amount": np.round(amount, 2),
            "product_category": category,
            "status": status.astype(object),
        }
    )


def build_subscriptions(rng: np.random.Generator, cust: Customers, *, as_of: int) -> pd.DataFrame:
    """Yearly subscription terms for a subset of customers; the last one is cancelled at churn.

    Columns: canonical ``subscriptions`` columns minus the ids, plus ``row`` and ``day``.
    """
    n = len(cust.created)
    has = rng.random(n) < np.array([0.15, 0.25, 0.35, 0.45, 0.55])[cust.size]
    begin = np.floor(cust.created + rng.exponential(30.0, n))
    end_active = np.minimum(cust.stop, as_of + 0.0)
    has &= begin <= end_active
    row = np.flatnonzero(has)
    terms = np.minimum((end_active[row] - begin[row]) // 365 + 1, 6).astype(int)
    owner = np.repeat(row, terms)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(terms) - terms, terms)
    last = k == np.repeat(terms - 1, terms)
    term_start = begin[owner] + 365.0 * k
    term_end = term_start + 364.0
    plan_p = np.array(
        [[0.8, 0.2, 0.0], [0.6, 0.35, 0.05], [0.4, 0.45, 0.15], [0.2, 0.5, 0.3], [0.1, 0.4, 0.5]]
    )
    plan_row = (rng.random(n)[:, None] > np.cumsum(plan_p[cust.size], axis=1)).sum(axis=1)
    plan = np.minimum(plan_row[owner], 2)
    discount = np.array([1.0, 0.9, 0.8])[rng.integers(0, 3, n)][owner]
    cancelled = np.floor(cust.stop[owner] + rng.uniform(0.0, 30.0, len(owner)))
    cancelled = np.where(last & (cancelled <= as_of), cancelled, np.nan)
    return pd.DataFrame(
        {
            "row": owner,
            "day": term_start,
            "plan": np.array(vocab.PLANS, dtype=object)[plan],
            "start_date": day_text(term_start),
            "end_date": day_text(term_end),
            "monthly_fee": np.round(vocab.PLAN_FEES[plan] * discount, 2),
            "cancelled_at": day_text(cancelled),
        }
    )
