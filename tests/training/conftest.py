"""Small synthetic training sets in the documented layout (docs/interfaces.md).

Unit tests do not depend on the feature builder: this writes ``<task>.parquet`` +
``manifest.json`` with monthly snapshots, numeric + categorical features and a learnable label.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def write_training_set(
    out: Path,
    *,
    task: str = "churn",
    rows_per_snapshot: int = 120,
    snapshots: int = 12,
    seed: int = 0,
    split: str = "time",
    leak: bool = False,
    after_outcome: bool = False,
    single_class: bool = False,
    as_of: str = "2025-12-31",
) -> Path:
    """Write a training set for ``task`` to ``out`` and return ``out``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=as_of, periods=snapshots, freq="ME").normalize()
    n = rows_per_snapshot * snapshots
    recency = rng.gamma(2.0, 40.0, n)
    orders = rng.poisson(3.0, n).astype("float64")
    value = rng.lognormal(4.0, 0.5, n)
    value[rng.random(n) < 0.1] = np.nan
    plan = rng.choice(["basic", "pro", "enterprise"], n, p=[0.5, 0.35, 0.15])
    region = rng.choice(["north", "south", "east", "west"], n)
    logit = 0.015 * (recency - 80) - 0.35 * (orders - 3) + np.where(plan == "basic", 0.6, -0.3)
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    if single_class:
        label[:] = 0
    frame = pd.DataFrame(
        {
            "entity_id": pd.array([f"e{i % (n // snapshots):05d}" for i in range(n)], "string"),
            "as_of": np.repeat(dates.values, rows_per_snapshot),
            "days_since_last_order": recency.round(0),
            "orders_90d": orders,
            "avg_order_value": value,
            "plan": pd.array(plan, dtype="string"),
            "region": pd.array(region, dtype="string"),
            "sensitive__gender": pd.array(rng.choice(["f", "m"], n), dtype="string"),
            "label": label,
        }
    )
    features = [
        {
            "name": "days_since_last_order",
            "kind": "numeric",
            "monotone": 1,
            "description": "Days since the last paid order",
            "phrase": "no paid order in {value:.0f} days",
        },
        {
            "name": "orders_90d",
            "kind": "numeric",
            "monotone": -1,
            "description": "Paid orders in the last 90 days",
            "phrase": "{value:.0f} orders",
        },
        {
            "name": "avg_order_value",
            "kind": "numeric",
            "description": "Average order value",
            "phrase": "average order {value:.0f}",
        },
        {"name": "plan", "kind": "categorical", "description": "Plan", "phrase": "plan {value}"},
        {
            "name": "region",
            "kind": "categorical",
            "description": "Region",
            "phrase": "region {value}",
        },
    ]
    drop = []
    if leak:
        frame["cancelled_flag"] = frame["label"].astype("float64") + rng.normal(0, 0.01, n)
        features.append(
            {
                "name": "cancelled_flag",
                "kind": "numeric",
                "description": "Cancellation recorded",
                "phrase": "cancelled",
            }
        )
    if after_outcome:
        frame["refund_after"] = frame["label"].astype("float64")
        features.append(
            {
                "name": "refund_after",
                "kind": "numeric",
                "description": "Refund after the window",
                "phrase": "refund",
            }
        )
        drop = ["refund_after"]
    if split == "random":
        frame["as_of"] = pd.Timestamp(as_of)
        frame["split"] = pd.array(
            rng.choice(["train", "valid", "test"], n, p=[0.6, 0.2, 0.2]), dtype="string"
        )
    out.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out / f"{task}.parquet", index=False)
    snaps = [
        {"as_of": d.strftime("%Y-%m-%d"), "rows": int(len(g)), "label_rate": float(g.mean())}
        for d, g in frame.groupby("as_of")["label"]
    ]
    manifest = {
        "feature_version": "1",
        "source": "events" if split == "time" else "single_table",
        "as_of": as_of,
        "split": split,
        "timezone": "Asia/Shanghai",
        "data_hash": f"{seed:04d}" + "ab" * 30,
        "inputs": {"orders.csv": "00" * 32},
        "quality": {},
        "tasks": {
            task: {
                "file": f"{task}.parquet",
                "scoring_file": f"{task}.scoring.parquet",
                "rows": int(len(frame)),
                "label_rate": float(frame["label"].mean()),
                "scoring_rows": 0,
                "window_days": 90,
                "snapshots": snaps,
                "features": features,
                "sensitive": ["sensitive__gender"],
                "drop_after_outcome": drop,
            }
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out


@pytest.fixture
def make_features():
    """The :func:`write_training_set` factory, for variants (leak, random split, ...)."""
    return write_training_set


@pytest.fixture
def features_dir(tmp_path: Path) -> Path:
    """A small churn training set with 12 monthly snapshots."""
    return write_training_set(tmp_path / "features")


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised, empty MLflow SQLite database (creating one runs migrations: ~5-10 s)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def store_uri(tmp_path: Path, empty_store: Path) -> str:
    """URI of a fresh SQLite tracking store for one test (a copy of the empty one)."""
    path = tmp_path / "mlflow.db"
    shutil.copyfile(empty_store, path)
    return f"sqlite:///{path}"


@pytest.fixture
def tracking(store_uri: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite tracking store for one test (MLFLOW_TRACKING_URI set to it)."""
    uri = store_uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    yield uri
    import mlflow

    mlflow.set_tracking_uri(None)  # the job sets it for the process; don't leak it


@pytest.fixture
def parts(features_dir: Path):
    """(spec, X_train, y_train, X_valid, y_valid) of the synthetic churn set's time split."""
    import models
    from training.data import load_training_set, model_manifest
    from training.split import plan_split, split_frame

    ts = load_training_set(features_dir, task="churn")
    spec = models.FeatureSpec.from_manifest(model_manifest(ts))
    train, valid, _ = split_frame(ts.frame, None, plan_split(ts.frame, kind="time"))
    cols = list(spec.features)
    return spec, train[cols], train["label"], valid[cols], valid["label"]
