"""Lead features at one snapshot.

A lead scored the moment it is created is the same computation at ``snapshot = created_at``:
age zero, no activities yet, "not yet responded". Only activities and campaign events dated on
or before the snapshot count; "existing customer" matches the lead's normalised company name
against customers created (or, without a created date, first ordering) on or before it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.config import FeaturesConfig
from features.contract import CHANNELS, SENSITIVE_PREFIX
from features.events import Prepared, dictionary_indices, to_day
from features.specs import FeatureSpec, cat, num

LEAD_ATTRIBUTES = ("source", "industry", "region", "company_size", "seniority")
SENSITIVE = (SENSITIVE_PREFIX + "region",)
EARLY_DAYS = 7
_UP = {"lead_score": 1}
_DOWN = {"lead_score": -1}


def lead_specs(config: FeaturesConfig) -> list[FeatureSpec]:
    """The registry of lead features, in column order."""
    specs = [
        cat("source", "Where the lead came from", "lead source is {value}"),
        cat("industry", "Industry of the lead's company", "industry is {value}"),
        cat("region", "Region of the lead's company", "region is {value}"),
        cat("company_size", "Size band of the lead's company", "company size {value}"),
        cat(
            "seniority",
            "Seniority parsed from the job title (c_level, director, manager, staff, unknown)",
            "contact seniority is {value}",
        ),
        num("lead_age_days", "Days since the lead was created", "lead is {value:.0f} days old"),
        num(
            "first_response_days",
            "Days from creation to the first activity on the lead",
            "first response after {value:.0f} days",
            **_DOWN,
        ),
        num(
            "not_yet_responded",
            "No activity on the lead yet (1) or some (0)",
            "not yet responded: {value:.0f}",
            **_DOWN,
        ),
        num(
            "activities_first7d",
            f"Activities in the lead's first {EARLY_DAYS} days",
            f"{{value:.0f}} activities in the first {EARLY_DAYS} days",
            **_UP,
        ),
        num(
            "activities_total",
            "Activities on the lead so far",
            "{value:.0f} activities so far",
            **_UP,
        ),
    ]
    specs += [
        num(
            f"activities_{ch}",
            f"Activities by {ch} on the lead so far",
            f"{{value:.0f}} {ch} activities",
        )
        for ch in CHANNELS
    ]
    specs += [
        num(
            "campaign_events",
            "Campaign events of the lead so far",
            "{value:.0f} campaign interactions",
            **_UP,
        ),
        num(
            "campaign_events_30d",
            "Campaign events of the lead in the last 30 days",
            "{value:.0f} campaign interactions in 30 days",
            **_UP,
        ),
        num(
            "is_existing_customer",
            "The lead's company already is a customer (1) or not (0)",
            "existing customer: {value:.0f}",
        ),
    ]
    return specs


def _customer_since(prep: Prepared) -> np.ndarray:
    """Per lead: the first day a customer with its company name existed (NaN: never).

    A lead is an existing customer at ``s`` when this day is on or before ``s``: one
    comparison per snapshot instead of a set of the names known at every snapshot.
    """
    if "lead_customer_since" not in prep.cache:
        start = np.where(
            np.isnan(prep.customer_created), prep.customer_first_order, prep.customer_created
        )
        names = prep.customer_name
        lead_names = pa.array(prep.leads["name"], type=pa.large_string())  # pandas: chunked
        # One Arrow hash of all names (not millions of Python strings); null: code -1. Built
        # from the chunks: given a ChunkedArray, pa.chunked_array() would rebuild it through
        # Python strings (1 s of a million-customer build).
        chunks = [c for part in (names, lead_names) for c in _chunks(part)]
        encoded = pc.dictionary_encode(pa.chunked_array(chunks, pa.large_string()))
        codes = dictionary_indices(encoded.chunks)
        customer, lead = codes[: len(names)], codes[len(names) :]
        last = encoded.num_chunks - 1  # every chunk holds the dictionary so far
        distinct = len(encoded.chunk(last).dictionary) if encoded.num_chunks else 0
        first = np.full(distinct + 1, np.nan)  # the extra last slot answers code -1
        known = (customer >= 0) & ~np.isnan(start)
        first[:distinct] = np.inf
        np.minimum.at(first, customer[known], start[known])
        first[np.isinf(first)] = np.nan
        prep.cache["lead_customer_since"] = first[lead]
    return prep.cache["lead_customer_since"]


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


def _existing_customer(prep: Prepared, s: int) -> np.ndarray:
    return (_customer_since(prep) <= s).astype("float64")


def _activity_weights(prep: Prepared) -> dict[str, np.ndarray]:
    """0/1 weights per lead activity: after the lead's creation, in its first days, by channel.

    ``after_creation`` is a boolean mask (for first responses); computed once per build.
    """
    if "lead_activity_weights" not in prep.cache:
        a = prep.lead_activities
        created = prep.leads["created"].to_numpy(float)[a.code]
        after = a.day >= created
        weights = {"after_creation": after}
        weights["first7d"] = (after & (a.day < created + EARLY_DAYS)).astype("float64")
        for i, ch in enumerate(CHANNELS):
            weights[ch] = (a.cols["channel"] == i).astype("float64")
        prep.cache["lead_activity_weights"] = weights
    return prep.cache["lead_activity_weights"]


def lead_features(prep: Prepared, *, snapshot: date, config: FeaturesConfig) -> pd.DataFrame:
    """Features of every lead of the export at ``snapshot`` (rows follow ``lead_ids``).

    Includes ``sensitive__region``; eligibility is decided elsewhere (labels module).
    """
    s = to_day(snapshot)
    leads = prep.leads
    n = len(leads)
    created = leads["created"].to_numpy(float)
    cols: dict[str, object] = {
        attr: leads[attr].astype("string").reset_index(drop=True) for attr in LEAD_ATTRIBUTES
    }
    cols["lead_age_days"] = s - created

    # Whole-history columns are folded forward from the previous snapshot (fold_upto).
    a = prep.lead_activities
    w = _activity_weights(prep)
    first = a.day_upto("first_response", n, s, first=True, keep=w["after_creation"])
    cols["first_response_days"] = first - created
    cols["not_yet_responded"] = np.isnan(first).astype("float64")
    cols["activities_first7d"] = a.total_upto("first7d", n, s, w["first7d"])
    cols["activities_total"] = a.total_upto("total", n, s)
    for ch in CHANNELS:
        cols[f"activities_{ch}"] = a.total_upto(f"channel_{ch}", n, s, w[ch])

    c = prep.lead_campaign
    cols["campaign_events"] = c.total_upto("total", n, s)
    cols["campaign_events_30d"] = c.count(n, c.span(s - 30, s))
    cols["is_existing_customer"] = _existing_customer(prep, s)
    # Each column as it is (float64 arrays, Arrow strings): no copy into one 2D block, which
    # at a million leads is a fresh 100 MB per snapshot.
    for name, values in cols.items():
        if name not in LEAD_ATTRIBUTES:
            cols[name] = np.asarray(values, dtype="float64")
    out = pd.DataFrame(cols, copy=False)
    out[SENSITIVE[0]] = out["region"]
    return out
