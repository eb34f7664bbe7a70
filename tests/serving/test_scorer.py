import json

import numpy as np
import pandas as pd
import pytest

from crmml.errors import CrmmlError
from serving.config import ServingConfig
from serving.scorer import Scorer
from serving.validation import RequestInvalid
from tests.serving.fakes import FEATURE_INFO, FakeModel, record


@pytest.fixture
def scorer() -> Scorer:
    return Scorer(
        FakeModel(),
        feature_info=FEATURE_INFO,
        tiers=ServingConfig().tiers,
        model_name="crm-churn",
        model_version="3",
        feature_version="1",
        categories={"plan": ["basic", "pro"]},
    )


def test_score_records_shape_and_reasons(scorer):
    out = scorer.score_records([record("a"), record("b", plan="pro", n_orders=0)])
    assert [p["entity_id"] for p in out] == ["a", "b"]
    expected = FakeModel().predict_proba(
        pd.DataFrame(
            {
                "days_since_last_order": [120.0, 120.0],
                "n_orders": [2.0, 0.0],
                "plan": ["basic", "pro"],
            }
        )
    )
    np.testing.assert_allclose([p["score"] for p in out], expected)
    first = out[0]
    assert first["model"] == {"name": "crm-churn", "version": "3"}
    assert first["tier"] in {"high", "medium", "low"}
    assert len(first["reasons"]) == 3
    assert first["reasons"][0] == {
        "feature": "days_since_last_order",
        "contribution": 2.4,
        "phrase": "no paid order in 120 days",
    }
    assert {r["phrase"] for r in first["reasons"][1:]} == {
        "on the basic plan",
        "Paid orders in 365 days: 2",
    }
    assert first["warnings"] == []


def test_explain_off_and_tiers(scorer):
    out = scorer.score_records([record()], explain=False)
    assert "reasons" not in out[0]
    assert scorer.tier(0.9) == "high" and scorer.tier(0.3) == "medium" and scorer.tier(0) == "low"


def test_null_is_missing_and_phrase_says_so(scorer):
    out = scorer.score_records([record(days_since_last_order=None)])
    phrases = [r["phrase"] for r in out[0]["reasons"]]
    assert "Days since the last paid order: missing" in phrases


def test_warnings_unseen_category_and_ignored_fields(scorer):
    rec = record(plan="gold", extra_field=1, sensitive__gender="f")
    (pred,) = scorer.score_records([rec])
    text = " ".join(pred["warnings"])
    assert "unseen value 'gold' for plan" in text
    assert "extra_field" in text and "sensitive attributes are never used" in text
    assert all(not r["feature"].startswith("sensitive__") for r in pred["reasons"])


@pytest.mark.parametrize(
    ("over", "field", "reason"),
    [
        ({"n_orders": "2"}, "n_orders", "expected a number"),
        ({"n_orders": -1}, "n_orders", "impossible value"),
        ({"n_orders": float("nan")}, "n_orders", "finite"),
        ({"days_since_last_order": float("inf")}, "days_since_last_order", "finite"),
        ({"plan": 3}, "plan", "expected a string"),
        ({"n_orders": True}, "n_orders", "expected a number"),
        ({"entity_id": None}, "entity_id", "expected a string id"),
        ({"feature_version": "0"}, "feature_version", "feature version"),
    ],
)
def test_invalid_values_name_record_and_field(scorer, over, field, reason):
    with pytest.raises(RequestInvalid) as info:
        scorer.score_records([record(), record(**over)])
    (problem,) = info.value.problems
    assert (problem.record, problem.field) == (1, field)
    assert reason in problem.reason


def test_missing_field_and_limits(scorer):
    rec = record()
    del rec["plan"]
    with pytest.raises(RequestInvalid) as info:
        scorer.score_records([rec])
    assert info.value.problems[0].as_dict() == {
        "record": 0,
        "field": "plan",
        "reason": "missing required field",
    }
    with pytest.raises(RequestInvalid):
        scorer.score_records([])
    scorer.max_records = 2
    with pytest.raises(RequestInvalid, match="at most 2"):
        scorer.score_records([record()] * 3)


def test_score_frame_matches_score_records(scorer):
    recs = [record("a"), record("b", plan=None, n_orders=5), record("c", plan="pro")]
    df = pd.DataFrame(recs)
    df["plan"] = df["plan"].astype("str")
    framed = scorer.score_frame(df, explain=True)
    online = scorer.score_records(recs)
    np.testing.assert_allclose(framed["score"], [p["score"] for p in online])
    assert list(framed["tier"]) == [p["tier"] for p in online]
    assert [json.loads(r) for r in framed["reasons"]] == [p["reasons"] for p in online]
    assert set(framed.columns) == {"entity_id", "score", "tier", "model_version", "reasons"}


def test_score_frame_of_arrow_strings_equals_object_strings(scorer):
    recs = [record("a"), record("b", plan=None, n_orders=5), record("c", plan="zzz")] * 3
    df = pd.DataFrame(recs)
    arrow = df.assign(plan=df["plan"].astype("str"), entity_id=df["entity_id"].astype("str"))
    plain = df.assign(plan=df["plan"].astype(object))
    for explain in (False, True):
        pd.testing.assert_frame_equal(
            scorer.score_frame(arrow, explain=explain), scorer.score_frame(plain, explain=explain)
        )
    out = scorer.score_frame(arrow)
    assert all(str(out[c].dtype) == "str" for c in ("entity_id", "tier", "model_version"))
    assert list(out["model_version"]) == ["3"] * len(recs)


def test_score_frame_missing_column_is_clear(scorer):
    with pytest.raises(CrmmlError, match=r"missing column\(s\).*n_orders"):
        scorer.score_frame(
            pd.DataFrame({"entity_id": ["a"], "plan": ["x"], "days_since_last_order": [1.0]})
        )
