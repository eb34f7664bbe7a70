"""The injected mess is there, and export.json counts it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.sample import vocab
from features.sample.mess import name_variants


def _read(out, table):
    return pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[""])


def test_duplicate_companies_under_name_variants(small_export):
    out, meta = small_export
    dup = meta["injected"]["duplicate_customers"]
    customers = _read(out, "customers").set_index("customer_id")
    assert dup["extra_rows"] == len(dup["duplicate_of"]) == len(customers) - meta["customers"]
    for copy, original in dup["duplicate_of"].items():
        assert customers.at[copy, "company_name"] != customers.at[original, "company_name"]
        assert customers.at[copy, "industry"] == customers.at[original, "industry"] or (
            customers.loc[[copy, original], "industry"].isna().any()
        )
    orders = _read(out, "orders")
    # Future-dated copies of moved orders also carry a duplicate id, hence >=.
    on_duplicates = orders["customer_id"].isin(list(dup["duplicate_of"])).sum()
    assert on_duplicates >= dup["events_moved_to_duplicates"]["orders"] > 0


def test_name_variants_cover_the_usual_spellings():
    parts = pd.DataFrame(
        {
            "brand_zh": ["ABC", "华信"],
            "brand_en": ["ABC", "Huaxin"],
            "latin": [True, False],
            "word_zh": ["科技", "科技"],
            "word_en": ["Technology", "Technology"],
            "suffix_zh": ["有限公司", "有限公司"],
            "suffix_en": ["Co., Ltd.", "Co., Ltd."],
            "city_zh": ["北京", "北京"],
            "city_en": ["Beijing", "Beijing"],
        }
    ).astype(
        {
            c: object
            for c in (
                "brand_zh",
                "brand_en",
                "word_zh",
                "word_en",
                "suffix_zh",
                "suffix_en",
                "city_zh",
                "city_en",
            )
        }
    )
    got = {k: list(name_variants(parts, np.array([k, k]))) for k in range(5)}
    assert got[0] == ["北京ABC科技公司", "北京华信科技公司"]
    assert got[1] == ["ABC科技", "华信科技"]
    assert got[2] == ["ABC Technology Co., Ltd.", "Huaxin Technology Co., Ltd."]
    assert got[3] == ["ＡＢＣ科技", "华信科技（北京）有限公司"]
    assert got[4] == ["abc科技有限公司", "huaxin technology co ltd"]


def test_future_negative_and_orphan_rows(small_export):
    out, meta = small_export
    inj = meta["injected"]
    as_of = pd.Timestamp(meta["as_of"])
    orders = _read(out, "orders")
    assert (
        (pd.to_datetime(orders["order_date"]) > as_of).sum()
        == inj["future_dated_rows"]["orders"]
        > 0
    )
    assert (orders["amount"].astype(float) < 0).sum() >= inj["negative_amounts"]["orders"] > 0
    known = set(_read(out, "customers")["customer_id"])
    orphan = ~orders["customer_id"].isin(known)
    assert orphan.sum() == inj["orphan_rows"]["orders"] > 0
    assert (
        orders.loc[orphan, "customer_id"].nunique() == inj["orphan_rows"]["unknown_customer_ids"]
    )
    tickets = _read(out, "tickets")
    assert (pd.to_datetime(tickets["opened_at"]) > as_of).sum() == inj["future_dated_rows"][
        "tickets"
    ]
    events = _read(out, "campaign_events")
    times = pd.to_datetime(events["event_time"], format="ISO8601", utc=True)
    assert (
        times > pd.Timestamp(meta["as_of"], tz="Asia/Shanghai") + pd.Timedelta(days=1)
    ).sum() >= (inj["future_dated_rows"]["campaign_events"])
    status = orders["status"].value_counts()
    assert status["refunded"] == inj["refunded_orders"] > 0
    assert status["cancelled"] == inj["cancelled_orders"] > 0


def test_inconsistent_spellings_and_missing_values(small_export):
    out, meta = small_export
    inj = meta["injected"]
    customers = _read(out, "customers")
    canonical = {r for r, _, _ in vocab.REGIONS}
    odd = customers["region"].dropna()[~customers["region"].dropna().isin(canonical)]
    assert len(odd) == inj["inconsistent_spellings"]["customers.region"] > 0
    english = {e.lower() for _, e, _ in vocab.REGIONS}
    assert all(v.lower() in english or v[:-1] in canonical for v in odd)
    for key, count in inj["missing_values"].items():
        table, column = key.split(".")
        frame = customers if table == "customers" else _read(out, table)
        assert frame[column].isna().sum() >= count, key
    assert customers["industry"].isna().mean() < 0.1
