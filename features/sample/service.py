"""Support tickets, customer activities and campaign events, drawn from the hidden behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import EVENT_TYPES
from features.sample import vocab
from features.sample.customers import Customers
from features.sample.timeline import day_text, pick, poisson_times, working_hours

DRIFT_TICKET_RATE = 1.8


def build_tickets(
    rng: np.random.Generator, cust: Customers, *, start: int, as_of: int, drift: int | None
) -> pd.DataFrame:
    """Tickets: a background rate rising with unhappiness, plus a burst before the stop.

    Columns: canonical ``tickets`` columns minus the ids, plus ``row`` and ``day`` (opened).
    """
    u = cust.unhappy
    lo = np.maximum(cust.created, start).astype(float)
    hi = np.minimum(cust.stop + 30.0, as_of + 1.0)
    boost = DRIFT_TICKET_RATE if drift is not None else 1.0
    rate = 0.8 / 365 * np.array([0.6, 0.8, 1.0, 1.3, 1.6])[cust.size] * np.exp(0.6 * u) * boost
    owner, t = poisson_times(rng, lo, hi, rate)
    if drift is not None:
        keep = (t >= drift) | (rng.random(len(t)) < 1.0 / boost)
        owner, t = owner[keep], t[keep]
    # Unhappy customers who are about to leave complain first.
    pre_lo = np.maximum(cust.stop - 150.0, lo)
    pre_hi = np.minimum(cust.stop, as_of + 1.0)
    m = rng.poisson(0.3 + 0.9 * np.clip(u, 0.0, None)) * (pre_hi > pre_lo)
    p_owner = np.repeat(np.arange(len(u)), m)
    p_t = pre_lo[p_owner] + rng.random(len(p_owner)) * (pre_hi - pre_lo)[p_owner]
    pre = np.concatenate([np.zeros(len(owner), bool), np.ones(len(p_owner), bool)])
    owner = np.concatenate([owner, p_owner])
    t = np.floor(np.concatenate([t, p_t]))
    n = len(owner)

    priority = np.where(
        pre,
        pick(rng, n, np.array([0.1, 0.3, 0.4, 0.2])),
        pick(rng, n, np.array([0.3, 0.4, 0.22, 0.08])),
    )
    mean_days = np.array([10.0, 6.0, 3.0, 1.0])[priority]
    closed = t + np.ceil(rng.exponential(mean_days))
    still_open = (closed > as_of) | (rng.random(n) < 0.02)
    score = 4.2 - 0.7 * u[owner] - 1.1 * pre + rng.normal(0.0, 0.8, n)
    satisfaction = np.clip(np.round(score), 1, 5)
    unrated = still_open | (rng.random(n) < 0.22)
    return pd.DataFrame(
        {
            "row": owner,
            "day": t,
            "closed_at": day_text(np.where(still_open, np.nan, closed)),
            "priority": np.array(vocab.TICKET_PRIORITIES, dtype=object)[priority],
            "category": np.array(vocab.TICKET_CATEGORIES, dtype=object)[
                pick(rng, n, np.array([0.25, 0.35, 0.15, 0.15, 0.1]))
            ],
            "satisfaction": pd.array(np.where(unrated, np.nan, satisfaction), dtype="Int64"),
        }
    )


def build_customer_activities(
    rng: np.random.Generator, cust: Customers, *, start: int, as_of: int
) -> pd.DataFrame:
    """Calls, mails, visits... with customers; after the stop only outbound win-back attempts.

    Columns: ``row``, ``lead`` (-1), ``day`` (with time of day), ``with_time``, ``channel``,
    ``direction``, ``outcome``.
    """
    lo = np.maximum(cust.created, start).astype(float)
    rate = 3.0 / 365 + 0.4 * cust.rate
    owner, t = poisson_times(rng, lo, np.full(len(lo), as_of + 1.0), rate)
    after = t >= cust.stop[owner]
    keep = ~after | (rng.random(len(t)) < 0.3)
    owner, t, after = owner[keep], t[keep], after[keep]
    n = len(owner)
    inbound = ~after & (rng.random(n) < 0.35)
    complaint = 0.1 + 0.2 * (cust.unhappy[owner] > 0.5)
    r = rng.random(n)
    outcome_in = np.where(
        r < complaint, "complaint", np.where(r < complaint + 0.3, "order_request", "inquiry")
    )
    outcome_out = rng.choice(
        ["connected", "no_answer", "follow_up", "meeting_set"], size=n, p=[0.4, 0.3, 0.2, 0.1]
    )
    channel = rng.choice(
        list(("call", "email", "wechat", "visit", "meeting", "social")),
        size=n,
        p=[0.3, 0.3, 0.2, 0.08, 0.07, 0.05],
    )
    return pd.DataFrame(
        {
            "row": owner,
            "lead": -1,
            "day": working_hours(rng, t),
            "channel": channel.astype(object),
            "direction": np.where(inbound, "inbound", "outbound").astype(object),
            "outcome": np.where(inbound, outcome_in, outcome_out).astype(object),
        }
    )


def build_campaign_events(
    rng: np.random.Generator,
    cust: Customers,
    lead_created: np.ndarray,
    *,
    start: int,
    as_of: int,
) -> pd.DataFrame:
    """Marketing touches: a few per customer over time and per lead around its creation.

    Columns: ``row``, ``lead``, ``day`` (with time of day), ``event_type``, ``campaign_id``.
    """
    lo = np.maximum(cust.created, start).astype(float)
    c_owner, c_t = poisson_times(
        rng, lo, np.full(len(lo), as_of + 1.0), np.full(len(lo), 2.2 / 365)
    )
    l_hi = np.minimum(lead_created + 90.0, as_of + 1.0)
    l_owner, l_t = poisson_times(
        rng, lead_created.astype(float), l_hi, np.full(len(l_hi), 2.0 / 90)
    )
    n_c, n_l = len(c_owner), len(l_owner)
    n = n_c + n_l
    t = np.concatenate([c_t, l_t])
    event_type = np.array(EVENT_TYPES, dtype=object)[
        pick(rng, n, np.array([0.4, 0.2, 0.1, 0.05, 0.05, 0.1, 0.1]))
    ]
    month = np.strings.replace(
        np.datetime_as_string(np.floor(t).astype("int64").astype("datetime64[D]"), unit="M"),
        "-",
        "",
    )
    campaign = np.strings.add(
        np.strings.add(np.strings.add("CMP-", month), "-"),
        np.array(list("ABC"))[rng.integers(0, 3, n)],
    )
    return pd.DataFrame(
        {
            "row": np.concatenate([c_owner, np.full(n_l, -1)]),
            "lead": np.concatenate([np.full(n_c, -1), l_owner]),
            "day": working_hours(rng, t),
            "event_type": event_type,
            "campaign_id": campaign.astype(object),
        }
    )
