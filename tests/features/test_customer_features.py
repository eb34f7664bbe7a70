"""Customer features computed exactly on a tiny export (see pit_data.base_exports)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.build import snapshot_features
from features.config import FeaturesConfig
from features.customer_attributes import age_band
from features.customer_features import customer_specs
from tests.features.pit_data import base_exports, exports, order

S = date(2024, 6, 30)


@pytest.fixture(scope="module")
def churn():
    return snapshot_features(base_exports(), task="churn", snapshot=S)


def _days(a: str, b: date = S) -> float:
    return float((b - date.fromisoformat(a)).days)


def test_eligible_customers_and_columns(churn):
    # C3 is created after S; C5 only orders after S.
    assert sorted(churn.index) == ["C1", "C2", "C4"]
    specs = customer_specs(FeaturesConfig())
    sensitive = ["sensitive__gender", "sensitive__age", "sensitive__age_band"]
    assert list(churn.columns) == ["as_of"] + [s.name for s in specs] + sensitive
    assert (churn["as_of"] == pd.Timestamp(S)).all()
    for spec in specs:
        if spec.kind == "numeric":
            assert churn[spec.name].dtype == "float64", spec.name
        else:
            assert pd.api.types.is_string_dtype(churn[spec.name]), spec.name
            assert not isinstance(churn[spec.name].dtype, pd.CategoricalDtype)


def test_order_features_exact(churn):
    c1 = churn.loc["C1"]
    assert c1["days_since_last_order"] == _days("2024-02-10")
    assert (c1["orders_30d"], c1["orders_90d"], c1["orders_180d"], c1["orders_365d"]) == (
        0,
        0,
        1,
        1,
    )
    assert (c1["spend_90d"], c1["spend_180d"], c1["spend_365d"]) == (0, 80, 80)
    assert (c1["orders_total"], c1["spend_total"], c1["avg_order_value"]) == (2, 200, 100)
    assert c1["spend_trend_90d"] == -80  # 0 in the last 90 days, 80 in the 90 before
    assert c1["refunds_365d"] == 1 and c1["refund_share_365d"] == 0.5
    assert c1["category_breadth"] == 2  # software + hardware (the refunded order is not paid)
    assert c1["tenure_days"] == _days("2023-02-01")
    c4 = churn.loc["C4"]  # no created_at: tenure from the first order
    assert c4["tenure_days"] == _days("2024-03-03") and c4["category_breadth"] == 0


def test_subscription_ticket_activity_campaign_features(churn):
    c1, c2 = churn.loc["C1"], churn.loc["C2"]
    assert c1["has_subscription"] == 0 and c1["subscription_plan"] == "none"
    assert np.isnan(c1["subscription_fee"]) and np.isnan(c1["subscription_days_to_end"])
    assert c2["has_subscription"] == 1 and c2["subscription_plan"] == "pro"
    assert c2["subscription_fee"] == 99 and c2["subscription_days_to_end"] == 215
    # T1 opened exactly 90 days before S: in the 180-day lookback, not the 90-day one.
    assert (c1["tickets_30d"], c1["tickets_90d"], c1["tickets_180d"]) == (0, 0, 1)
    assert c1["open_tickets"] == 0 and c1["satisfaction_365d"] == 4
    assert c1["activities_call_90d"] == 1 and c1["activities_email_90d"] == 0
    assert c1["days_since_last_activity"] == 15
    assert c2["activities_wechat_90d"] == 0  # 1 Jul is after S
    assert c1["campaign_events_90d"] == 1 and c1["campaign_click_90d"] == 1
    assert c1["campaign_webinar_90d"] == 0


def test_ticket_open_at_snapshot_and_satisfaction_only_once_closed():
    c2 = snapshot_features(base_exports(), task="churn", snapshot=date(2024, 6, 15)).loc["C2"]
    assert c2["open_tickets"] == 1 and np.isnan(c2["satisfaction_365d"])


def test_company_contacts_and_sensitive(churn):
    c1 = churn.loc["C1"]
    assert (c1["industry"], c1["region"], c1["city"], c1["segment"]) == (
        "retail",
        "east",
        "Shanghai",
        "b2b",
    )
    assert c1["contacts"] == 2 and c1["has_decision_maker"] == 1
    assert churn.loc["C2", "contacts"] == 1 and churn.loc["C2", "has_decision_maker"] == 0
    assert c1["sensitive__gender"] == "f" and c1["sensitive__age"] == 44
    assert c1["sensitive__age_band"] == "35-44"
    assert churn.loc["C2", "sensitive__age_band"] == "25-34"
    assert pd.isna(churn.loc["C4", "sensitive__age"])


def test_no_names_emails_or_phones(churn):
    banned = {"company_name", "full_name", "email", "phone", "title"}
    assert not banned & set(churn.columns)
    values = {str(v) for v in churn.astype("string").to_numpy().ravel()}
    pii = {
        "Acme Trading Co",
        "Wang Fang",
        "fang.wang@acme.example",
        "+86 138 0000 1111",
        "北京云帆科技有限公司",
        "张伟",
        "010-5555-6666",
    }
    assert not values & pii


def test_orders_only_export_has_no_company_attributes_but_works():
    ex = exports(orders=[order("1", "a", "2024-06-01", 10), order("2", "a", "2024-06-20", 5)])
    f = snapshot_features(ex, task="repurchase", snapshot=S)
    assert f.loc["a", "orders_30d"] == 2 and f.loc["a", "spend_30d"] == 15
    assert pd.isna(f.loc["a", "industry"]) and f.loc["a", "tickets_365d"] == 0


def test_age_band_edges():
    out = age_band(pd.Series([18, 24.9, 25, 34, 35, 45, 54, 55, 80, np.nan]))
    assert out.tolist()[:-1] == [
        "<25",
        "<25",
        "25-34",
        "25-34",
        "35-44",
        "45-54",
        "45-54",
        "55+",
        "55+",
    ]
    assert pd.isna(out.iloc[-1])


def test_lookbacks_follow_config():
    cfg = FeaturesConfig(lookbacks_days=(7, 60))
    f = snapshot_features(base_exports(), task="churn", snapshot=S, config=cfg)
    assert {"orders_7d", "spend_60d", "tickets_60d"} <= set(f.columns)
    assert "orders_365d" not in f.columns
