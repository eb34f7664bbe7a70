import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.reasons import excluded_features, phrase, reason_codes

SPECS = {
    "days_since_last_order": {
        "description": "Days since the last paid order",
        "phrase": "no paid order in {value:.0f} days",
    },
    "gender_code": {"description": "Customer gender code"},
    "age_years": {"description": "Age in years", "phrase": "aged {value:.0f}"},
    "plan": {"description": "Subscription plan", "phrase": "on the {value} plan"},
}
FEATURES = list(SPECS) + ["sensitive__region"]
SENSITIVE = ["sensitive__gender", "sensitive__age", "sensitive__region"]


def test_phrase_from_template_and_fallbacks():
    assert phrase("days_since_last_order", 142.0, spec=SPECS["days_since_last_order"]) == (
        "no paid order in 142 days"
    )
    # a numeric format given a category falls back to "description: value"
    assert phrase("x", "gold", spec={"description": "Plan", "phrase": "{value:.0f}"}) == (
        "Plan: gold"
    )
    assert phrase("orders_90d", np.nan) == "orders 90d: unknown"


def test_sensitive_features_are_excluded_by_name_or_text():
    banned = excluded_features(FEATURES, specs=SPECS, sensitive=SENSITIVE)
    assert banned == {"gender_code", "age_years", "sensitive__region"}


def test_reason_text_with_direction():
    X = pd.DataFrame({f: [1.0] for f in FEATURES}).assign(days_since_last_order=142.0, plan="gold")
    v = np.array([[2.0, 5.0, 4.0, 1.0, 9.0]])
    out = reason_codes(v, X, feature_names=FEATURES, specs=SPECS, sensitive=SENSITIVE, top=3)
    assert [r["feature"] for r in out[0]] == ["days_since_last_order", "plan"]
    assert out[0][0]["text"] == "no paid order in 142 days (raises churn risk)"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=len(FEATURES), max_size=len(FEATURES)))
def test_reasons_never_name_a_sensitive_attribute(contribs):
    X = pd.DataFrame({f: [3.0] for f in FEATURES}).assign(plan="basic")
    out = reason_codes(
        np.array([contribs]),
        X,
        feature_names=FEATURES,
        specs=SPECS,
        sensitive=SENSITIVE,
        top=5,
        direction="both",
    )
    for r in out[0]:
        text = (r["feature"] + " " + r["text"]).lower()
        for word in ("gender", "age", "region", "sensitive"):
            assert word not in text.replace("page", "")
