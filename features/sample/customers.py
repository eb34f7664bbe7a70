"""Customers, their hidden behaviour and their contacts.

Each customer has two latent traits: ``engagement`` (how often they order and get in touch)
and ``unhappiness`` (how many support tickets they open and how badly they rate them). Both
drive a churn hazard: the customer stops ordering at ``stop``, with orders thinning out and
shrinking in the months before. Gender and birth year come from their own random stream and
touch nothing else, so churn and repurchase carry no planted bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sample import names, vocab
from features.sample.leads import Leads
from features.sample.timeline import day_text

MEDIAN_ORDERS_PER_YEAR = 9.0
MEDIAN_LIFETIME_DAYS = 900.0
GROUND_TRUTH = {
    "churn": "each customer stops ordering at a hidden date; the hazard rises with unhappiness "
    "(more tickets, lower satisfaction, more refunds) and falls with engagement (order "
    "frequency); orders thin out and shrink in the 2-7 months before the stop and tickets "
    "with low satisfaction cluster there",
    "repurchase": "orders follow a Poisson process whose rate is the customer's engagement "
    "(and company size), thinned before the stop and by season (dip around February)",
    "lead_score": "conversion log-odds rise with source (referral > event > partner > web > "
    "ads > cold_list), company size and job-title seniority (CEO/总经理/VP/总监 > 经理/manager "
    "> 专员/staff) and fall with first-response time (no first response is worst)",
    "sensitive": "gender and birth_year are drawn independently of every behavioural driver",
}


@dataclass
class Customers:
    """Customers with the hidden state the event generators need (arrays by row)."""

    frame: pd.DataFrame
    parts: pd.DataFrame
    created: np.ndarray
    stop: np.ndarray
    rate: np.ndarray
    """Orders per day while active."""
    unhappy: np.ndarray
    size: np.ndarray
    amount: np.ndarray
    """Typical order amount."""
    decline: np.ndarray
    """Days before ``stop`` over which orders thin out and shrink."""
    lead_customer: np.ndarray
    """For each converted lead (in lead order), the row of the customer it became."""


def build_customers(
    rng: np.random.Generator,
    rng_sensitive: np.random.Generator,
    *,
    n: int,
    start: int,
    as_of: int,
    leads: Leads,
    n_owners: int,
) -> Customers:
    """Draw ``n`` customers: every converted lead plus companies won otherwise."""
    from_lead = np.flatnonzero(~np.isnan(leads.converted))
    m = n - len(from_lead)
    legacy = rng.random(m) < 0.15
    created_new = np.where(
        legacy,
        np.floor(start - rng.random(m) * 3 * 365),
        np.floor(start + rng.random(m) * (as_of - 7 - start)),
    )
    firm_new = names.firmographics(rng, m)
    parts_new = names.company_parts(rng, firm_new["industry"], firm_new["city"])
    created = np.concatenate([leads.converted[from_lead], created_new])
    firm = {k: np.concatenate([leads.firm[k][from_lead], firm_new[k]]) for k in firm_new}
    parts = pd.concat([leads.parts.iloc[from_lead], parts_new], ignore_index=True)
    names.make_unique(rng, parts, frozen=len(from_lead))

    order = np.argsort(created, kind="stable")
    created = created[order]
    firm = {k: v[order] for k, v in firm.items()}
    parts = parts.iloc[order].reset_index(drop=True)
    lead_customer = np.empty(n, dtype=int)
    lead_customer[order] = np.arange(n)
    lead_customer = lead_customer[: len(from_lead)]

    size = firm["size"]
    engagement = rng.normal(0.0, 1.0, n)
    unhappy = rng.normal(0.0, 1.0, n)
    rate = (
        MEDIAN_ORDERS_PER_YEAR
        / 365.0
        * np.array([0.6, 0.85, 1.0, 1.25, 1.5])[size]
        * np.exp(0.55 * engagement)
    )
    hazard = np.log(2) / MEDIAN_LIFETIME_DAYS * np.exp(0.8 * unhappy - 0.5 * engagement)
    stop = created + rng.exponential(1.0 / hazard)
    amount = np.round(
        rng.lognormal(np.log(2500.0), 0.5, n) * np.array([0.4, 0.8, 1.5, 3.0, 6.0])[size], 2
    )
    segment = np.where(rng.random(n) < np.array([0.45, 0.1, 0.02, 0.0, 0.0])[size], "b2c", "b2b")

    as_of_year = int(np.datetime64(int(as_of), "D").astype("datetime64[Y]").astype(int)) + 1970
    gender = np.where(rng_sensitive.random(n) < 0.42, "female", "male").astype(object)
    birth_year = np.clip(np.round(rng_sensitive.normal(1981, 9, n)), 1955, as_of_year - 22)
    age = as_of_year - birth_year
    # The same bands as features.customer_features derives from birth_year, so a fairness
    # audit sees one set of groups whether a row has birth_year, age_band or both.
    bands = np.array(["<25", "25-34", "35-44", "45-54", "55+"], dtype=object)
    age_band = bands[np.searchsorted([25, 35, 45, 55], age, side="right")]

    frame = pd.DataFrame(
        {
            "customer_id": names.make_ids("C", n),
            "company_name": names.company_name(parts).to_numpy(),
            "industry": np.array([i for i, _, _ in vocab.INDUSTRIES], dtype=object)[
                firm["industry"]
            ],
            "region": np.array([r for r, _, _ in vocab.REGIONS], dtype=object)[firm["region"]],
            "city": np.array([c for _, c, _ in vocab.CITIES], dtype=object)[firm["city"]],
            "company_size": np.array(vocab.SIZES, dtype=object)[size],
            "segment": segment.astype(object),
            "created_at": day_text(created),
            "owner_id": names.owner_ids(rng.integers(0, n_owners, n)),
            "gender": gender,
            "birth_year": pd.array(birth_year, dtype="Int64"),
            "age_band": age_band,
        }
    )
    return Customers(
        frame=frame,
        parts=parts,
        created=created,
        stop=stop,
        rate=rate,
        unhappy=unhappy,
        size=size,
        amount=amount,
        decline=rng.uniform(60.0, 200.0, n),
        lead_customer=lead_customer,
    )


def build_contacts(rng: np.random.Generator, cust: Customers) -> pd.DataFrame:
    """One to five contacts per customer; executives are the decision makers."""
    n_per = np.minimum(1 + rng.poisson(0.3 + 0.25 * cust.size), 5)
    owner = np.repeat(np.arange(len(n_per)), n_per)
    k = len(owner)
    full, login = names.person_names(rng, k)
    title, level = names.titles(rng, k)
    decision = (level == 2) | ((level == 1) & (rng.random(k) < 0.3))
    return pd.DataFrame(
        {
            "contact_id": names.make_ids("P", k),
            "customer_id": cust.frame["customer_id"].to_numpy()[owner],
            "full_name": full,
            "title": title,
            "email": names.emails(rng, login, cust.parts["brand_en"].to_numpy()[owner]),
            "phone": names.phones(rng, k),
            "is_decision_maker": pd.array(decision, dtype="boolean"),
        }
    )
