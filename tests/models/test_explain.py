"""Contributions add up to the raw score; describe() reads like the family."""

from __future__ import annotations

import numpy as np
import pytest

from models import FAMILIES, CrmModel, load_model_dir, save_model_dir


@pytest.mark.parametrize("family", FAMILIES)
def test_contributions_are_additive_per_raw_feature(family, fitted, test_rows, tmp_path):
    save_model_dir(fitted[family], tmp_path / "m")
    model = load_model_dir(tmp_path / "m")
    contrib = model.contributions(test_rows)
    assert contrib.values.shape == (len(test_rows), len(model.feature_names))
    assert contrib.feature_names == model.feature_names
    assert contrib.scale == "log-odds"
    np.testing.assert_allclose(
        contrib.values.sum(axis=1) + contrib.base_value,
        model.raw_score(test_rows),
        rtol=0,
        atol=1e-6,
    )
    # same explanation straight from the training pipeline
    direct = CrmModel.from_pipeline(fitted[family]).contributions(test_rows)
    np.testing.assert_allclose(direct.values, contrib.values, rtol=0, atol=1e-9)


def test_scorecard_contributions_centre_on_training_mean(fitted, data):
    contrib = CrmModel.from_pipeline(fitted["scorecard"]).contributions(data["train"][0])
    np.testing.assert_allclose(contrib.values.mean(axis=0), 0.0, atol=1e-9)


def test_signal_features_carry_the_contributions(fitted, data):
    contrib = CrmModel.from_pipeline(fitted["lgbm"]).contributions(data["test"][0])
    strength = dict(zip(contrib.feature_names, np.abs(contrib.values).mean(axis=0), strict=True))
    assert max(strength, key=strength.get) == "days_since_last_order"
    assert strength["days_since_last_order"] > strength["total_spend"]


def test_scorecard_describe_gives_points_per_feature_value(fitted):
    table = CrmModel.from_pipeline(fitted["scorecard"]).describe()
    rows = table["points"]
    assert {r["feature"] for r in rows} == set(fitted["scorecard"].feature_names_in_)
    regions = {r["value"]: r["points"] for r in rows if r["feature"] == "region"}
    assert set(regions) == {"east", "north", "south", "west", "missing"}
    assert regions["north"] > regions["south"]  # north churns more in the synthetic data
    days = [r for r in rows if r["feature"] == "days_since_last_order"]
    assert days[0]["value"].startswith("(-inf,") and days[-1]["value"] == "missing"
    assert days[-2]["points"] > days[0]["points"]  # long silence scores more risk points
    assert table["calibration"]["method"] == "sigmoid"


def test_tree_describe_prints_rules(fitted):
    info = CrmModel.from_pipeline(fitted["tree"]).describe()
    assert info["depth"] <= 4
    assert "days_since_last_order <=" in info["rules"]
    assert "P(label=1) = " in info["rules"]


def test_lgbm_describe_lists_importances(fitted):
    info = CrmModel.from_pipeline(fitted["lgbm"]).describe()
    assert info["importances"][0]["feature"] == "days_since_last_order"
    assert info["monotone"] == {"days_since_last_order": 1, "orders_count": -1}


def _checked_columns(rows):
    """The columns serving's validation hands over: floats or None, strings or None."""
    return {
        c: [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in rows[c]]
        for c in rows.columns
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_score_columns_equals_the_dataframe_path(family, fitted, test_rows):
    model = CrmModel.from_pipeline(fitted[family])
    scores, contrib = model.score_columns(_checked_columns(test_rows), explain=True)
    np.testing.assert_allclose(scores, model.predict_proba(test_rows), rtol=0, atol=1e-12)
    expected = model.contributions(test_rows)
    np.testing.assert_allclose(contrib.values, expected.values, rtol=0, atol=1e-12)
    assert contrib.base_value == pytest.approx(expected.base_value, abs=1e-12)
    assert model.score_columns(_checked_columns(test_rows), explain=False)[1] is None


def test_score_columns_of_no_rows_and_of_a_missing_feature(fitted, test_rows):
    model = CrmModel.from_pipeline(fitted["lgbm"])
    scores, contrib = model.score_columns({c: [] for c in test_rows.columns}, explain=True)
    assert scores.shape == (0,) and contrib.values.shape == (0, len(model.feature_names))
    columns = _checked_columns(test_rows)
    del columns["region"]
    with pytest.raises(Exception, match="missing feature column.*region"):
        model.score_columns(columns)


def test_predict_threads_change_no_prediction(fitted, test_rows):
    model = CrmModel.from_pipeline(fitted["lgbm"])
    one = model.predict_proba(test_rows)
    model.set_predict_threads(0)
    try:
        np.testing.assert_array_equal(model.predict_proba(test_rows), one)
    finally:
        model.set_predict_threads(1)
