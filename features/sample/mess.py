"""The mess of a real CRM export, injected on purpose and counted.

Duplicate customers under name variants (their events split across the ids), inconsistent
region and city spellings, missing values, future-dated rows, negative amounts and orders of
unknown customers. Every count goes to ``export.json`` ("injected") so the data-quality gate
can be checked against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.sample import vocab

DUPLICATE_SHARE = 0.03
SPELLING_SHARE = 0.05
FUTURE_SHARE = 0.003
NEGATIVE_SHARE = 0.003
ORPHAN_SHARE = 0.005
MISSING: dict[str, dict[str, float]] = {
    "customers": {
        "company_name": 0.005,
        "industry": 0.03,
        "city": 0.04,
        "company_size": 0.05,
        "owner_id": 0.02,
        "gender": 0.06,
        "birth_year": 0.08,
        "age_band": 0.05,
    },
    "contacts": {"title": 0.05, "email": 0.1, "phone": 0.15, "is_decision_maker": 0.03},
    "orders": {"product_category": 0.02},
    "subscriptions": {"monthly_fee": 0.02},
    "activities": {"direction": 0.03, "outcome": 0.05},
    "tickets": {"priority": 0.02, "category": 0.03},
    "leads": {"industry": 0.05, "company_size": 0.08, "job_title": 0.06, "owner_id": 0.03},
}

_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}


def name_variants(parts: pd.DataFrame, kind: np.ndarray) -> np.ndarray:
    """How a second data-entry clerk spells the same company (``kind`` in 0..4)."""
    p = parts
    short = p["brand_zh"] + p["word_zh"]
    english = p["brand_en"] + " " + p["word_en"] + " " + p["suffix_en"]
    with_city = p["brand_zh"] + p["word_zh"] + "（" + p["city_zh"] + "）" + p["suffix_zh"]
    lower_en = english.str.lower().str.replace(r"[.,]", "", regex=True)
    latin_lower = p["brand_zh"].str.lower() + p["word_zh"] + p["suffix_zh"]
    options = [
        p["city_zh"] + short + "公司",  # 北京华信科技公司
        short,  # 华信科技
        english,  # Huaxin Technology Co., Ltd.
        np.where(p["latin"], short.str.translate(_FULLWIDTH), with_city),  # ＡＢＣ科技
        np.where(p["latin"], latin_lower, lower_en),  # abc科技有限公司 / huaxin technology co ltd
    ]
    return np.select([kind == k for k in range(5)], [np.asarray(o) for o in options]).astype(
        object
    )


def add_duplicates(
    rng: np.random.Generator, customers: pd.DataFrame, parts: pd.DataFrame, *, as_of: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Append 1-2 more rows for ~3% of companies, spelled differently.

    Returns the customers with the duplicates appended, the original row of each duplicate
    and the created_at day of each duplicate.
    """
    n = len(customers)
    k = max(2, int(round(DUPLICATE_SHARE * n)))
    original = np.sort(rng.choice(n, size=k, replace=False))
    extra = np.where(rng.random(k) < 0.3, 2, 1)
    source = np.repeat(original, extra)
    second = np.arange(len(source)) - np.repeat(np.cumsum(extra) - extra, extra)
    first_kind = np.repeat(rng.integers(0, 5, k), extra)
    kind = np.where(
        second == 0, first_kind, (first_kind + 1 + rng.integers(0, 4, len(source))) % 5
    )
    dup = customers.iloc[source].reset_index(drop=True).copy()
    dup["company_name"] = name_variants(parts.iloc[source].reset_index(drop=True), kind)
    created = pd.to_datetime(dup["created_at"]).to_numpy().astype("datetime64[D]").astype(int)
    dup_day = np.minimum(created + rng.integers(20, 400, len(dup)), as_of).astype(float)
    dup["created_at"] = np.datetime_as_string(dup_day.astype("int64").astype("datetime64[D]"))
    dup["created_at"] = dup["created_at"].astype(object)
    other_owner = rng.random(len(dup)) < 0.5
    dup.loc[other_owner, "owner_id"] = customers["owner_id"].to_numpy()[
        rng.integers(0, n, other_owner.sum())
    ]
    return pd.concat([customers, dup], ignore_index=True), source, dup_day


def split_events(
    rng: np.random.Generator,
    events: pd.DataFrame,
    source: np.ndarray,
    dup_day: np.ndarray,
    n_customers: int,
) -> int:
    """Move about half the events of each duplicated company to one of its other ids.

    Events dated before a duplicate was created stay with the original. Returns how many
    events moved.
    """
    first = np.full(n_customers, -1)
    count = np.zeros(n_customers, dtype=int)
    starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])
    first[source[starts]] = n_customers + starts
    count[source[starts]] = np.diff(np.r_[starts, len(source)])
    row = events["row"].to_numpy()
    has = (row >= 0) & (row < n_customers)
    grouped = np.zeros(len(row), bool)
    grouped[has] = first[row[has]] >= 0
    idx = np.flatnonzero(grouped & (rng.random(len(row)) < 0.5))
    target = first[row[idx]] + (rng.random(len(idx)) * count[row[idx]]).astype(int)
    ok = events["day"].to_numpy()[idx] >= dup_day[target - n_customers]
    events.loc[idx[ok], "row"] = target[ok]
    return int(ok.sum())


def respell(rng: np.random.Generator, values: pd.Series, table: tuple) -> pd.Series:
    """Respell ~5% of region or city values: English, lower/upper case, or with 区/市."""
    english = _english(table)
    hit = (rng.random(len(values)) < SPELLING_SHARE) & values.notna().to_numpy()
    kind = rng.integers(0, 4, len(values))
    en = values.map(english)
    zh_suffix = "市" if table is vocab.CITIES else "区"
    variants = [en, en.str.lower(), en.str.upper(), values + zh_suffix]
    new = values.copy()
    for k, v in enumerate(variants):
        sel = hit & (kind == k)
        new[sel] = v[sel]
    return new


def _english(table: tuple) -> dict[str, str]:
    if table is vocab.CITIES:
        return {zh: en for _, zh, en in table}
    return {zh: en for zh, en, _ in table}


def blank(rng: np.random.Generator, frame: pd.DataFrame, table: str) -> dict[str, int]:
    """Empty a few % of the optional cells of ``table``; returns counts by column."""
    counts = {}
    for col, share in MISSING.get(table, {}).items():
        hit = rng.random(len(frame)) < share
        frame.loc[hit, col] = None
        counts[f"{table}.{col}"] = int(hit.sum())
    return counts


def add_future(
    rng: np.random.Generator, events: pd.DataFrame, *, as_of: int
) -> tuple[pd.DataFrame, int]:
    """Copies of ~0.3% of the rows dated 1-120 days after the export date (typos, pre-bookings)."""
    if len(events) == 0:
        return events, 0
    k = max(1, int(round(FUTURE_SHARE * len(events))))
    extra = events.iloc[rng.choice(len(events), size=k, replace=False)].copy()
    extra["day"] = as_of + rng.integers(1, 121, k) + (extra["day"].to_numpy() % 1.0)
    return pd.concat([events, extra], ignore_index=True), k


def negate_amounts(rng: np.random.Generator, orders: pd.DataFrame) -> int:
    """Credit notes typed in as orders: ~0.3% of amounts become negative."""
    if len(orders) == 0:
        return 0
    k = max(1, int(round(NEGATIVE_SHARE * len(orders))))
    idx = rng.choice(len(orders), size=k, replace=False)
    orders.loc[idx, "amount"] = -orders["amount"].to_numpy()[idx]
    return k


def add_orphans(
    rng: np.random.Generator, orders: pd.DataFrame, *, n_customers: int
) -> tuple[pd.DataFrame, int]:
    """Orders of customers missing from the customers file (deleted accounts).

    Returns the orders and the number of unknown customer ids (rows ``n_customers`` and up).
    """
    if len(orders) == 0:
        return orders, 0
    k = max(1, int(round(ORPHAN_SHARE * len(orders))))
    ids = max(1, k // 3)
    extra = orders.iloc[rng.choice(len(orders), size=k, replace=False)].copy()
    extra["row"] = n_customers + np.arange(k) % ids
    return pd.concat([orders, extra], ignore_index=True), ids
