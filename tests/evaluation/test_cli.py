"""End to end: train a real version, then `crmml evaluate / approve / reject / models /
rollback` through the root CLI against a real SQLite MLflow store."""

import json

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from crmml.cli import app

pytestmark = pytest.mark.slow


def write_features(out, *, seed=0, snapshots=6, rows=200):
    """A churn training set in the documented layout, with gender and age sensitive columns."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end="2025-12-31", periods=snapshots, freq="ME").normalize()
    n = rows * snapshots
    recency = rng.gamma(2.0, 40.0, n).round(0)
    orders = rng.poisson(3.0, n).astype("float64")
    plan = rng.choice(["basic", "pro"], n)
    logit = 0.015 * (recency - 80) - 0.35 * (orders - 3) + np.where(plan == "basic", 0.6, -0.3)
    frame = pd.DataFrame(
        {
            "entity_id": [f"e{i % rows:05d}" for i in range(n)],
            "as_of": np.repeat(dates.values, rows),
            "days_since_last_order": recency,
            "orders_90d": orders,
            "plan": pd.array(plan, dtype="str"),
            "sensitive__gender": pd.array(
                rng.choice(["f", "m", None], n, p=[0.48, 0.48, 0.04]), dtype="str"
            ),
            "sensitive__age": rng.integers(18, 80, n).astype("float64"),
            "label": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64"),
        }
    )
    out.mkdir(parents=True)
    frame.to_parquet(out / "churn.parquet", index=False)
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
            "description": "Paid orders in 90 days",
            "phrase": "{value:.0f} orders in 90 days",
        },
        {"name": "plan", "kind": "categorical", "description": "Plan", "phrase": "plan {value}"},
    ]
    manifest = {
        "feature_version": "1",
        "source": "events",
        "as_of": "2025-12-31",
        "split": "time",
        "timezone": "Asia/Shanghai",
        "data_hash": "ab" * 32,
        "inputs": {},
        "quality": {"blocking": 0, "warnings": 1},
        "tasks": {
            "churn": {
                "file": "churn.parquet",
                "rows": n,
                "label_rate": float(frame.label.mean()),
                "window_days": 90,
                "snapshots": [],
                "features": features,
                "sensitive": ["sensitive__gender", "sensitive__age"],
                "drop_after_outcome": [],
            }
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


@pytest.fixture
def trained(tmp_path, store_uri, monkeypatch):
    from training import TrainConfig, train_task
    from training.config import TuningConfig

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri)
    monkeypatch.chdir(tmp_path)
    feats = write_features(tmp_path / "features")
    cfg = TrainConfig(families=("lgbm",), tuning=TuningConfig(trials=2))
    train_task(task="churn", features_dir=feats, config=cfg, seed=1)
    yield feats, MlflowClient(store_uri), cfg
    import mlflow

    mlflow.set_tracking_uri(None)


def _run(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False, standalone_mode=False)


def test_evaluate_approve_reject_models_rollback(trained, tmp_path):
    from crmml.errors import CrmmlError
    from training import train_task

    feats, client, cfg = trained
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(
        "min_roc_auc: 0.5\nmax_ece: 0.5\nmin_parity_ratio: 0.0\nmax_parity_difference: 1.0\n"
    )
    res = _run(
        "evaluate",
        "--task",
        "churn",
        "--features",
        str(feats),
        "--policy",
        str(lenient),
        "--out",
        str(tmp_path / "rep1"),
    )
    assert res.exit_code in (0, None), res.output
    data = json.loads((tmp_path / "rep1" / "evaluation.json").read_text())
    assert data["model"]["version"] == "1" and data["gate"]["verdict"] == "pass"
    assert data["explanations"]["additivity_ok"] and data["fairness"]["attributes"]["gender"]
    assert data["model_card"]["data_hash"] == "ab" * 32
    mv = client.get_model_version("crm-churn", "1")
    assert mv.tags["crmml.verdict"] == "pass"
    arts = {a.path for a in client.list_artifacts(mv.run_id, "evaluation")}
    assert "evaluation/report.html" in arts
    _run("approve", "--task", "churn", "--version", "1", "--reviewer", "ana", "--note", "ok")
    assert client.get_model_version_by_alias("crm-churn", "champion").version in ("1", 1)

    # a second version that fails a strict policy is refused with exit 3
    train_task(task="churn", features_dir=feats, config=cfg, seed=2)
    strict = tmp_path / "strict.yaml"
    strict.write_text("min_roc_auc: 0.99\nmax_parity_difference: 0.0\n")
    res = _run(
        "evaluate",
        "--task",
        "churn",
        "--features",
        str(feats),
        "--policy",
        str(strict),
        "--out",
        str(tmp_path / "rep2"),
        "--mitigate",
    )
    data2 = json.loads((tmp_path / "rep2" / "evaluation.json").read_text())
    assert data2["gate"]["verdict"] == "fail" and "min_roc_auc" in data2["gate"]["failed"]
    assert data2["champion_comparison"]["champion_version"] == "1"
    mit = data2["mitigation"]  # the audit failed (max_parity_difference 0): --mitigate ran
    assert (
        mit["method"] == "threshold_optimizer"
        and "equal_opportunity_difference" in mit["mitigated"]
    )
    with pytest.raises(CrmmlError) as exc:
        _run("approve", "--task", "churn", "--version", "2", "--reviewer", "bo", "--note", "x")
    assert exc.value.exit_code == 3
    assert str(client.get_model_version_by_alias("crm-churn", "champion").version) == "1"
    _run("reject", "--task", "churn", "--version", "2", "--reviewer", "bo", "--note", "weak")
    _run(
        "approve",
        "--task",
        "churn",
        "--version",
        "2",
        "--reviewer",
        "bo",
        "--note",
        "x",
        "--override",
        "--reason",
        "pilot",
    )
    rows = json.loads(_run("models", "--task", "churn", "--json").output)
    assert {r["version"]: r["aliases"] for r in rows} == {"2": ["challenger", "champion"], "1": []}
    _run("rollback", "--task", "churn", "--reviewer", "ana", "--reason", "complaints")
    assert str(client.get_model_version_by_alias("crm-churn", "champion").version) == "1"


def test_fail_on_gate_exits_3(trained, tmp_path):
    import subprocess
    import sys

    feats, _, _ = trained
    strict = tmp_path / "strict.yaml"
    strict.write_text("min_roc_auc: 0.99\n")
    cmd = [
        sys.executable,
        "-m",
        "crmml.cli",
        "evaluate",
        "--task",
        "churn",
        "--features",
        str(feats),
        "--policy",
        str(strict),
        "--out",
        str(tmp_path / "r"),
        "--fail-on-gate",
    ]
    cfg = tmp_path / "eval.yaml"
    cfg.write_text("bootstrap: {rounds: 50}\n")
    p = subprocess.run(cmd + ["--config", str(cfg)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 3, p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("min_auc: 0.9\n")
    p = subprocess.run(
        cmd[:-1] + ["--policy", str(bad)], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 1 and "min_auc" in p.stderr and "Traceback" not in p.stderr
