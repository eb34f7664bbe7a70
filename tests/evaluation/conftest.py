"""Small synthetic fixtures shared by the evaluation tests."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def scored():
    """2,000 rows: labels, calibrated-ish scores, features, sensitive columns, contributions."""
    rng = np.random.default_rng(7)
    n = 2000
    X = pd.DataFrame(
        {
            "days_since_last_order": rng.integers(0, 400, n).astype(float),
            "orders_90d": rng.poisson(2, n).astype(float),
            "plan": pd.Series(rng.choice(["gold", "basic"], n), dtype="str"),
        }
    )
    sens = pd.DataFrame(
        {
            "sensitive__gender": rng.choice(["F", "M", None], n, p=[0.48, 0.48, 0.04]),
            "sensitive__age": rng.integers(18, 90, n).astype(float),
        }
    )
    contrib = np.column_stack(
        [
            (X["days_since_last_order"] - 200) / 100,
            -(X["orders_90d"] - 2) * 0.3,
            np.where(X["plan"] == "gold", -0.2, 0.2),
        ]
    )
    base = -0.5
    raw = contrib.sum(1) + base
    p = 1 / (1 + np.exp(-raw))
    y = (rng.random(n) < p).astype(int)
    contributions = SimpleNamespace(
        values=contrib, base_value=base, explainer="test", scale="log-odds"
    )
    specs = [
        {
            "name": "days_since_last_order",
            "kind": "numeric",
            "description": "Days since the last paid order",
            "phrase": "no paid order in {value:.0f} days",
        },
        {"name": "plan", "kind": "categorical", "description": "Subscription plan"},
    ]
    return SimpleNamespace(
        X=X, sens=sens, y=y, p=p, raw=raw, contributions=contributions, specs=specs
    )


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory):
    """An initialised, empty MLflow SQLite database (migrations run once per session)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def store_uri(tmp_path, empty_store):
    """A fresh SQLite tracking store for one test (a copy of the empty one)."""
    import shutil

    path = tmp_path / "mlflow.db"
    shutil.copyfile(empty_store, path)
    return f"sqlite:///{path}"


@pytest.fixture
def registry(store_uri, tmp_path):
    """``crm-churn`` with three versions (no model files needed for registry decisions)."""
    from mlflow import MlflowClient

    client = MlflowClient(store_uri)
    client.create_registered_model("crm-churn")
    src = tmp_path / "model"
    src.mkdir()
    for _ in range(3):
        client.create_model_version("crm-churn", src.as_uri(), tags={"family": "lgbm"})
    return client
