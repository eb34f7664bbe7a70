"""A real (tiny) crmml model registered in a tmp SQLite MLflow store, for serving tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = {
    "days_since_last_order": {
        "name": "days_since_last_order",
        "kind": "numeric",
        "description": "Days since the last paid order",
        "phrase": "no paid order in {value:.0f} days",
    },
    "n_orders_365d": {
        "name": "n_orders_365d",
        "kind": "numeric",
        "description": "Paid orders in the last 365 days",
        "phrase": "{value:.0f} paid orders in a year",
    },
    "plan": {
        "name": "plan",
        "kind": "categorical",
        "description": "Subscription plan",
        "phrase": "on the {value} plan",
    },
}


def frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A scoring-set-shaped frame (entity_id, as_of, features, a sensitive column) + labels."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 400, n).astype("float64")
    days[::17] = np.nan
    orders = rng.poisson(3, n).astype("float64")
    plan = rng.choice(["basic", "pro", "team"], n)
    logit = 0.01 * np.nan_to_num(days, nan=200) - 0.4 * orders + (plan == "basic") - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    df = pd.DataFrame(
        {
            "entity_id": [f"e{i:04d}" for i in range(n)],
            "as_of": pd.Timestamp("2026-06-30"),
            "days_since_last_order": days,
            "n_orders_365d": orders,
            "plan": pd.array(plan, dtype="str"),
            "sensitive__gender": pd.array(rng.choice(["f", "m"], n), dtype="str"),
        }
    )
    return df, y


def register(
    tracking_uri: str,
    *,
    task: str = "churn",
    family: str = "scorecard",
    seed: int = 0,
    alias: str | None = "champion",
    feature_version: str = "1",
) -> str:
    """Fit, log and register one model version; point ``alias`` at it. Returns the version."""
    from models import FeatureSpec

    if task == "lead_score":
        df, y, entries = lead_frame(seed=seed)
    else:
        df, y = frame(seed=seed)
        entries = list(FEATURES.values())
    numeric = tuple(e["name"] for e in entries if e["kind"] == "numeric")
    categorical = tuple(e["name"] for e in entries if e["kind"] == "categorical")
    spec = FeatureSpec(numeric, categorical)
    return _log_and_register(
        tracking_uri,
        task=task,
        family=family,
        seed=seed,
        alias=alias,
        feature_version=feature_version,
        spec=spec,
        X=df,
        y=y,
        entries=entries,
    )


def lead_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """Random rows with the real lead feature columns (names, kinds and phrases)."""
    from features.config import FeaturesConfig
    from features.lead_features import lead_specs

    rng = np.random.default_rng(seed)
    entries = [
        {"name": s.name, "kind": s.kind, "description": s.description, "phrase": s.phrase}
        for s in lead_specs(FeaturesConfig())
    ]
    data = {}
    for e in entries:
        if e["kind"] == "numeric":
            data[e["name"]] = rng.poisson(2, n).astype("float64")
        else:
            data[e["name"]] = pd.array(rng.choice(["a", "b", "web", "referral"], n), dtype="str")
    df = pd.DataFrame(data)
    y = (rng.random(n) < 0.3).astype("int64")
    return df, y, entries


def _log_and_register(
    tracking_uri, *, task, family, seed, alias, feature_version, spec, X, y, entries
) -> str:
    import mlflow
    from mlflow import MlflowClient

    from models import make_pipeline
    from models.pyfunc import log_crm_model

    cols = list(spec.numeric + spec.categorical)
    pipe = make_pipeline(family, {}, spec=spec, seed=seed).fit(X[cols], y)
    name = "crm-" + task.replace("_", "-")
    mlflow.set_tracking_uri(tracking_uri)
    experiment = f"serving-test-{task}"
    if mlflow.get_experiment_by_name(experiment) is None:
        # Artifacts next to the store, never ./mlruns in the working directory.
        store = Path(tracking_uri.removeprefix("sqlite:///")).parent
        mlflow.create_experiment(experiment, artifact_location=(store / "artifacts").as_uri())
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_dict({"features": entries}, f"features/{task}.json")
        log_crm_model(
            pipe,
            name="model",
            input_example=X[cols].head(5),
            metadata={"feature_version": feature_version, "as_of": "2026-06-30", "task": task},
        )
        info = mlflow.last_logged_model()
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        client.create_registered_model(name)
    except Exception:
        pass
    mv = client.create_model_version(
        name,
        f"models:/{info.model_id}",
        run_id=run.info.run_id,
        tags={"feature_version": feature_version, "as_of": "2026-06-30", "task": task},
    )
    if alias:
        client.set_registered_model_alias(name, alias, mv.version)
    return str(mv.version)


def write_scoring_dir(out: Path, *, task: str = "churn", feature_version: str = "1") -> Path:
    """A ``crmml features``-shaped folder: manifest.json + <task>.scoring.parquet."""
    out.mkdir(parents=True, exist_ok=True)
    df, _ = frame(n=40, seed=7)
    df.to_parquet(out / f"{task}.scoring.parquet", index=False)
    manifest = {
        "feature_version": feature_version,
        "as_of": "2026-06-30",
        "tasks": {
            task: {"scoring_file": f"{task}.scoring.parquet", "features": list(FEATURES.values())}
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def corrupt(tracking_uri: str, *, task: str, version: str) -> None:
    """Overwrite the saved model files of a version with garbage (a broken upload)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    uri = client.get_model_version_download_uri("crm-" + task.replace("_", "-"), version)
    root = Path(uri.removeprefix("file://"))
    files = list((root / "data").rglob("*.json")) + list((root / "data").rglob("*.txt"))
    assert files, f"no model files under {root}"
    for f in files:
        f.write_text("{not json", encoding="utf-8")
