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

from features.config import FeaturesConfig
from features.contract import CHANNELS, SENSITIVE_PREFIX
from features.events import Prepared, to_day
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


def _existing_customer(prep: Prepared, s: int) -> np.ndarray:
    start = np.where(
        np.isnan(prep.customer_created), prep.customer_first_order, prep.customer_created
    )
    known = {n for n in prep.customer_name[start <= s] if n is not None}
    names = prep.leads["name"].to_numpy(dtype=object)
    return np.array([n is not None and n in known for n in names], dtype="float64")


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

    a = prep.lead_activities
    hist = a.span(-np.inf, s)
    code, day = a.code[hist], a.day[hist]
    after_creation = day >= created[code]
    first = np.full(n, np.inf)
    np.minimum.at(first, code[after_creation], day[after_creation])
    first[np.isinf(first)] = np.nan
    cols["first_response_days"] = first - created
    cols["not_yet_responded"] = np.isnan(first).astype("float64")
    early = after_creation & (day < created[code] + EARLY_DAYS)
    cols["activities_first7d"] = np.bincount(code[early], minlength=n).astype("float64")
    cols["activities_total"] = np.bincount(code, minlength=n).astype("float64")
    channel = a.cols["channel"][hist]
    for i, ch in enumerate(CHANNELS):
        cols[f"activities_{ch}"] = np.bincount(code[channel == i], minlength=n).astype("float64")

    c = prep.lead_campaign
    cols["campaign_events"] = c.count(n, c.span(-np.inf, s))
    cols["campaign_events_30d"] = c.count(n, c.span(s - 30, s))
    cols["is_existing_customer"] = _existing_customer(prep, s)
    out = pd.DataFrame(cols)
    for name in out.columns:
        if name not in LEAD_ATTRIBUTES:
            out[name] = out[name].astype("float64")
    out[SENSITIVE[0]] = out["region"]
    return out
