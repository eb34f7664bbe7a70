"""Small synthetic churn data with a known signal, shared by the models tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import FeatureSpec

NUMERIC = (
    "days_since_last_order",
    "orders_count",
    "total_spend",
    "avg_basket",
    "tenure_days",
    "discount_rate",
)
CATEGORICAL = ("region", "channel")


def make_rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "days_since_last_order": rng.exponential(60, n).round(),
            "orders_count": rng.poisson(4, n).astype("float64"),
            "total_spend": rng.gamma(2.0, 150.0, n),
            "avg_basket": rng.gamma(3.0, 20.0, n),
            "tenure_days": rng.uniform(30, 1500, n).round(),
            "discount_rate": rng.beta(2, 8, n),
            "region": pd.array(rng.choice(["north", "south", "east", "west"], n), dtype="str"),
            "channel": pd.array(rng.choice(["web", "store", "app"], n), dtype="str"),
        }
    )
    # messy: missing numerics and categoricals
    X.loc[rng.random(n) < 0.05, "avg_basket"] = np.nan
    X.loc[rng.random(n) < 0.05, "days_since_last_order"] = np.nan
    X.loc[rng.random(n) < 0.05, "region"] = None
    logit = (
        -1.0
        + 0.02 * X["days_since_last_order"].fillna(60)
        - 0.3 * X["orders_count"]
        + 0.8 * (X["region"] == "north").astype(float)
        - 0.5 * (X["channel"] == "app").astype(float)
        + 2.0 * X["discount_rate"]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return X, y.to_numpy()


def odd_rows() -> pd.DataFrame:
    """Rows with NaN numerics, None categoricals and category values never seen in training."""
    return pd.DataFrame(
        {
            "days_since_last_order": [np.nan, 10.0, 400.0, 0.0],
            "orders_count": [1.0, np.nan, 0.0, 30.0],
            "total_spend": [np.nan, 50.0, 1e6, 0.0],
            "avg_basket": [np.nan, np.nan, 10.0, 5.0],
            "tenure_days": [100.0, np.nan, 5000.0, 1.0],
            "discount_rate": [0.1, 0.9, np.nan, 0.0],
            "region": pd.array([None, "atlantis", "north", None], dtype="str"),
            "channel": pd.array(["web", None, "fax", "app"], dtype="str"),
        }
    )


@pytest.fixture(scope="session")
def spec() -> FeatureSpec:
    return FeatureSpec(NUMERIC, CATEGORICAL, {"days_since_last_order": 1, "orders_count": -1})


@pytest.fixture(scope="session")
def data() -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    return {"train": make_rows(2000, 1), "cal": make_rows(600, 2), "test": make_rows(300, 3)}


@pytest.fixture(scope="session")
def fitted(spec, data):
    """One calibrated pipeline per family (fitted once per test session)."""
    from models import FAMILIES, calibrate, default_params, make_pipeline

    out = {}
    for family in FAMILIES:
        pipe = make_pipeline(family, default_params(family), spec=spec, seed=0).fit(*data["train"])
        method = "isotonic" if family == "tree" else "sigmoid"
        out[family] = calibrate(pipe, *data["cal"], method=method)
    return out


@pytest.fixture()
def test_rows(data) -> pd.DataFrame:
    return pd.concat([data["test"][0], odd_rows()], ignore_index=True)
