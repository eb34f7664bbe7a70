"""PSI, missing-rate changes and new categories on populations with and without drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmml.errors import ConfigError
from monitoring.drift import DriftPolicy, compare, load_drift_policy, profile, psi

FEATURES = [
    {"name": "recency", "kind": "numeric"},
    {"name": "orders", "kind": "numeric"},
    {"name": "plan", "kind": "categorical"},
]


def population(n: int, seed: int, *, shift: float = 0.0, missing: float = 0.05, plans=None):
    rng = np.random.default_rng(seed)
    recency = rng.gamma(2.0, 40.0, n) + shift * 60
    recency[rng.random(n) < missing] = np.nan
    plans = plans or {"basic": 0.5, "pro": 0.35, "enterprise": 0.15}
    frame = pd.DataFrame(
        {
            "recency": recency,
            "orders": rng.poisson(3.0 * (1 - 0.5 * shift), n).astype("float64"),
            "plan": pd.array(rng.choice(list(plans), n, p=list(plans.values())), dtype="string"),
        }
    )
    score = 1 / (1 + np.exp(-(0.01 * (np.nan_to_num(recency, nan=80) - 80))))
    return frame, score


@pytest.fixture(scope="module")
def reference():
    frame, score = population(5000, 0)
    return profile(frame, features=FEATURES, score=score)


def test_psi_is_zero_for_identical_shares_and_grows_with_shift():
    assert psi([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0.0)
    assert psi([0.5, 0.5], [0.4, 0.6]) < psi([0.5, 0.5], [0.2, 0.8])
    assert np.isfinite(psi([0.5, 0.5], [1.0, 0.0]))  # an empty bin is floored, not infinite


def test_fresh_sample_of_the_same_population_is_not_drift(reference):
    frame, score = population(2000, 1)
    report = compare(reference, frame, score=score)
    assert not report["drifted"], report["reasons"]
    assert all(f["psi"] < 0.1 for f in report["features"].values())
    assert report["score"]["psi"] < 0.1


def test_shifted_population_is_drift(reference):
    frame, score = population(2000, 2, shift=1.0)
    report = compare(reference, frame, score=score)
    assert report["drifted"]
    assert {"recency", "orders"} <= set(report["drifted_features"])
    assert report["score"]["status"] == "drift"
    assert any(r.startswith("score:") for r in report["reasons"])


def test_missing_rate_change_is_drift_even_with_stable_values(reference):
    frame, score = population(2000, 3, missing=0.4)
    col = compare(reference, frame, score=score)["features"]["recency"]
    assert col["status"] == "drift"
    assert col["missing_rate_change"] == pytest.approx(0.35, abs=0.03)
    assert any("missing rate" in r for r in col["reasons"])


def test_new_category_values_are_listed_and_judged(reference):
    plans = {"basic": 0.45, "pro": 0.3, "enterprise": 0.15, "ultimate": 0.1}
    frame, score = population(2000, 4, plans=plans)
    col = compare(reference, frame, score=score)["features"]["plan"]
    assert col["new_categories"] == ["ultimate"]
    assert col["new_category_share"] == pytest.approx(0.1, abs=0.02)
    assert col["status"] == "drift"


def test_policy_allows_some_drifted_features(reference):
    frame, _ = population(
        2000, 5, plans={"basic": 0.45, "pro": 0.3, "enterprise": 0.1, "ultimate": 0.15}
    )
    lax = DriftPolicy(max_drifted_features=1, score_alert=False)
    assert compare(reference, frame, policy=lax)["drifted"] is False
    assert compare(reference, frame)["drifted"] is True


def test_too_few_rows_are_reported_not_judged(reference):
    frame, score = population(30, 6, shift=1.0)
    col = compare(reference, frame, score=score)["features"]["recency"]
    assert col["psi"] is not None and "not judged" in col["note"]
    assert col["status"] != "drift" or col["reasons"][0].startswith("missing")


def test_missing_column_is_drift(reference):
    frame, score = population(500, 7)
    report = compare(reference, frame.drop(columns=["plan"]), score=score)
    assert report["drifted"] and "plan" in report["reasons"][-1]


def test_profile_is_plain_json(reference):
    import json

    again = json.loads(json.dumps(reference))
    frame, score = population(2000, 1)
    assert compare(again, frame, score=score)["drifted"] is False


def test_drift_policy_from_the_retraining_config(tmp_path):
    path = tmp_path / "retraining.yaml"
    path.write_text("drift:\n  psi_alert: 0.5\n", encoding="utf-8")
    assert load_drift_policy(path).psi_alert == 0.5
    assert load_drift_policy(None) == DriftPolicy()
    path.write_text("drift:\n  psi_alrt: 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_drift_policy(path)
    assert "drift.psi_alrt" in err.value.lines()[0] and "unknown key" in err.value.lines()[0]


def test_shipped_config_matches_the_defaults():
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "configs" / "retraining.yaml"
    assert load_drift_policy(shipped) == DriftPolicy()
