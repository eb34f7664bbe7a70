"""Leads, their sales activities and the hidden conversion model (with one planted bias).

Ground truth: conversion log-odds rise with the source (referral/event > partner > web > ads >
cold list), company size and the seniority of the job title, and fall with the first-response
time (lead creation to the first activity on the lead). Planted bias: sales neglected leads
from the Northwest region: they wait ~4x longer for a first response, are more often never
contacted, and convert less even at equal quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sample import names, vocab
from features.sample.timeline import day_text, mask

BIAS = {
    "region": vocab.REGIONS[vocab.NEGLECTED_REGION][0],
    "response_time_factor": 4.0,
    "no_response_rate": 0.2,
    "no_response_rate_elsewhere": 0.05,
    "conversion_log_odds_penalty": -0.7,
}


@dataclass
class Leads:
    """Leads with the hidden state the rest of the generator needs."""

    frame: pd.DataFrame
    """Canonical ``leads`` columns; ``customer_id`` is filled in by the generator."""
    converted: np.ndarray
    """Day the lead became a customer (NaN if it did not, as of the export date)."""
    firm: dict[str, np.ndarray]
    parts: pd.DataFrame
    activities: dict[str, np.ndarray]
    """Lead activities: lead index, day, channel, direction, outcome."""


def build_leads(
    rng: np.random.Generator, *, n: int, start: int, as_of: int, n_owners: int
) -> Leads:
    """Draw ``n`` leads created between ``start`` and ``as_of`` (days)."""
    # Marketing grows: lead volume at the export date is about three times that at the start.
    u = np.where(rng.random(n) < 0.5, rng.random(n), np.sqrt(rng.random(n)))
    created = np.sort(np.floor(start + u * (as_of - start + 1)))  # ids follow creation order
    firm = names.firmographics(rng, n)
    parts = names.company_parts(rng, firm["industry"], firm["city"])
    names.make_unique(rng, parts)
    source = rng.choice(len(vocab.SOURCES), size=n, p=vocab.SOURCE_WEIGHTS)
    title, seniority = names.titles(rng, n)
    neglected = firm["region"] == vocab.NEGLECTED_REGION

    no_response = mask(
        rng, n, np.where(neglected, BIAS["no_response_rate"], BIAS["no_response_rate_elsewhere"])
    )
    response = rng.lognormal(np.log(0.8), 0.9, n) * np.where(
        neglected, BIAS["response_time_factor"], 1.0
    )
    logit = (
        -1.5
        + vocab.SOURCE_EFFECT[source]
        + 0.3 * (firm["size"] - 1.5)
        + np.array([-0.5, 0.2, 0.9])[seniority]
        + np.where(no_response, -1.8, -0.55 * np.log1p(response))
        + np.where(neglected, BIAS["conversion_log_odds_penalty"], 0.0)
    )
    will_convert = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    convert_day = np.floor(
        created + np.where(no_response, 3.0, response) + rng.gamma(2.0, 12.0, n)
    )
    converted = will_convert & (convert_day <= as_of)
    age = as_of - created
    disqualified = ~converted & (age > 45) & (rng.random(n) < 0.8)
    status = np.where(converted, "converted", np.where(disqualified, "disqualified", "open"))

    frame = pd.DataFrame(
        {
            "lead_id": names.make_ids("L", n),
            "created_at": day_text(created),
            "source": np.array(vocab.SOURCES, dtype=object)[source],
            "company_name": names.company_name(parts).to_numpy(),
            "industry": np.array([i for i, _, _ in vocab.INDUSTRIES], dtype=object)[
                firm["industry"]
            ],
            "region": np.array([r for r, _, _ in vocab.REGIONS], dtype=object)[firm["region"]],
            "company_size": np.array(vocab.SIZES, dtype=object)[firm["size"]],
            "job_title": title,
            "owner_id": names.owner_ids(rng.integers(0, n_owners, n)),
            "status": status.astype(object),
            "converted_at": day_text(np.where(converted, convert_day, np.nan)),
            "customer_id": np.full(n, None, dtype=object),
        }
    )
    first = np.where(no_response, np.nan, created + response)
    last = np.where(converted, convert_day, created + 60.0)
    acts = _activities(rng, first=first, last=np.minimum(last, as_of + 0.999), converted=converted)
    return Leads(frame, np.where(converted, convert_day, np.nan), firm, parts, acts)


def _activities(
    rng: np.random.Generator, *, first: np.ndarray, last: np.ndarray, converted: np.ndarray
) -> dict[str, np.ndarray]:
    """First response (outbound) plus a few follow-ups between it and the outcome."""
    first_ok = ~np.isnan(first) & (first <= last)
    lead = np.flatnonzero(first_ok)
    t_first = first[lead]
    k = rng.poisson(np.where(converted[lead], 2.5, 1.0))
    follow = np.repeat(lead, k)
    lo = first[follow]
    t_follow = lo + rng.random(len(follow)) * (last[follow] - lo)
    idx = np.concatenate([lead, follow])
    t = np.concatenate([t_first, t_follow])
    n = len(idx)
    is_first = np.arange(n) < len(lead)
    channel = np.where(
        is_first,
        rng.choice(["call", "email", "wechat"], size=n, p=[0.5, 0.3, 0.2]),
        rng.choice(
            ["call", "email", "wechat", "meeting", "visit"], size=n, p=[0.3, 0.3, 0.2, 0.12, 0.08]
        ),
    )
    inbound = ~is_first & (rng.random(n) < 0.3)
    good = converted[idx]
    outcome = np.where(
        is_first & (rng.random(n) < 0.35),
        "no_answer",
        np.where(
            rng.random(n) < np.where(good, 0.6, 0.25),
            rng.choice(["interested", "meeting_set", "quote_sent"], size=n),
            rng.choice(["follow_up", "not_interested", "no_answer"], size=n),
        ),
    )
    return {
        "lead": idx,
        "day": t,
        "channel": channel.astype(object),
        "direction": np.where(inbound, "inbound", "outbound").astype(object),
        "outcome": outcome.astype(object),
    }
