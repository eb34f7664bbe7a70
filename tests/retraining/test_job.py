"""``crmml retrain`` end to end on sample exports with a real SQLite store (slow).

The tests share one store and run in file order: promote -> idempotent re-run -> drifted data
(drift detected, unfair challenger refused) -> kill -9 during training -> interrupted
promotions recovered -> erasure reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

AS_OF = date(2026, 6, 30)
LENIENT = {
    "min_roc_auc": 0.5,
    "max_ece": 0.5,
    "min_parity_ratio": 0.0,
    "max_parity_difference": 1.0,
    "max_auc_drop_vs_champion": 0.2,
    "auto_approve": True,
}
UNFAIR = {**LENIENT, "min_parity_ratio": 0.999, "max_parity_difference": 0.0001}
CONFIG = "snapshots: 4\nfamilies: [scorecard]\ntrials: 1\n"
EVAL = "bootstrap:\n  rounds: 20\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from features.sample import generate_export

    tmp = tmp_path_factory.mktemp("retrain")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRMML_HOME", str(tmp / "home"))
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp}/mlflow.db")
        mp.setenv("CRMML_PSEUDONYM_KEY", "retrain-test-key")
        mp.chdir(tmp)
        generate_export(tmp / "raw", customers=400, seed=3, as_of=AS_OF)
        generate_export(tmp / "rawd", customers=400, seed=3, as_of=AS_OF, drift="2026-01-31")
        (tmp / "retraining.yaml").write_text(CONFIG)
        (tmp / "evaluation.yaml").write_text(EVAL)
        for name, policy in (("lenient", LENIENT), ("unfair", UNFAIR)):
            (tmp / f"{name}.yaml").write_text("\n".join(f"{k}: {v}" for k, v in policy.items()))
        yield tmp


def _retrain(env: Path, raw: str, work: str, policy: dict, **kw) -> dict:
    from evaluation.config import load_eval_config
    from evaluation.policy import Policy, load_policy
    from retraining import RetrainOptions, load_retrain_config, retrain

    pol = load_policy(None).model_copy(update=policy)
    assert isinstance(pol, Policy)
    options = RetrainOptions(raw=env / raw, as_of=AS_OF, tasks=("churn",), work=env / work, **kw)
    return retrain(
        options,
        policy=pol,
        config=load_retrain_config(env / "retraining.yaml"),
        eval_config=load_eval_config(env / "evaluation.yaml"),
    )


def _client(env: Path):
    from mlflow import MlflowClient

    return MlflowClient(f"sqlite:///{env}/mlflow.db")


def _cli(env: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crmml.cli", *args],
        cwd=env,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_first_retrain_promotes_and_writes_the_summary(env):
    from evaluation import registry_ops as ops

    summary = _retrain(env, "raw", "work1", LENIENT, summary=env / "s1.json")
    churn = summary["tasks"]["churn"]
    assert summary["status"] == "completed" and summary["promoted"] == ["churn"]
    assert churn["decision"] == "promoted" and churn["old_version"] is None
    assert churn["new_metrics"]["roc_auc"] > 0.5
    assert json.loads((env / "s1.json").read_text())["tasks"]["churn"]["new_version"] == "1"
    client = _client(env)
    assert ops.current_champion(client, "churn") == churn["new_version"]
    assert [e["to"] for e in ops.promotion_log(client, "churn")] == [churn["new_version"]]
    parent = client.get_run(summary["parent_run_id"])
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["crmml.churn.decision"] == "promoted"
    assert "retrain_summary.json" in [a.path for a in client.list_artifacts(parent.info.run_id)]
    assert (env / "work1" / "manifest.json").is_file()  # the scoring set a service picks up


def test_same_as_of_again_registers_no_duplicate(env):
    summary = _retrain(env, "raw", "work1", LENIENT)
    churn = summary["tasks"]["churn"]
    assert churn["decision"] == "skipped" and "already trained" in churn["reason"]
    versions = _client(env).search_model_versions("name='crm-churn'")
    assert len(versions) == 1


def test_monitor_no_drift_on_fresh_data_of_the_same_population(env):
    out = _cli(
        env,
        "monitor",
        "--task",
        "churn",
        "--current",
        "work1/churn.scoring.parquet",
        "--out",
        "drift_same",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((env / "drift_same" / "drift.json").read_text())
    assert report["drifted"] is False and report["score"]["psi"] < 0.25


def test_if_drift_skips_a_task_whose_population_did_not_drift(env):
    summary = _retrain(env, "raw", "work1", LENIENT, if_drift=True, force=True)
    churn = summary["tasks"]["churn"]
    assert churn["decision"] == "skipped" and churn["reason"] == "no drift above the policy"
    assert churn["drift"]["drifted"] is False
    assert len(_client(env).search_model_versions("name='crm-churn'")) == 1


def test_drifted_data_unfair_challenger_is_not_promoted_and_drift_is_detected(env):
    from evaluation import registry_ops as ops

    summary = _retrain(env, "rawd", "work2", UNFAIR)
    churn = summary["tasks"]["churn"]
    assert summary["status"] == "completed" and summary["promoted"] == []
    assert churn["decision"] == "not promoted" and churn["verdict"] == "fail"
    assert any("parity" in c for c in churn["failed_checks"])
    assert churn["old_metrics"]["roc_auc"] is not None  # compared on the same test rows
    assert ops.current_champion(_client(env), "churn") == "1"
    out = _cli(
        env,
        "monitor",
        "--task",
        "churn",
        "--current",
        "work2/churn.scoring.parquet",
        "--out",
        "drift_new",
    )
    assert out.returncode == 4, out.stdout + out.stderr
    assert "drift" in out.stdout
    report = json.loads((env / "drift_new" / "drift.json").read_text())
    assert report["drifted"] and report["drifted_features"]


def test_blocked_input_exits_2(env):
    (env / "empty").mkdir()
    out = _cli(env, "retrain", "--raw", "empty", "--as-of", "2026-06-30", "--work", "w_empty")
    assert out.returncode == 2, out.stderr
    assert "error:" in out.stderr and "Traceback" not in out.stderr
    summary = json.loads((env / "w_empty" / "retrain-summary.json").read_text())
    assert summary["status"] == "blocked" and summary["problems"]


def test_kill_9_during_training_leaves_the_registry_consistent(env):
    from evaluation import registry_ops as ops
    from evaluation.run import load_registered

    client = _client(env)
    before = {mv.version for mv in client.search_model_versions("name='crm-churn'")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crmml.cli",
            "retrain",
            "--raw",
            "raw",
            "--as-of",
            "2026-06-30",
            "--tasks",
            "churn",
            "--work",
            "work3",
            "--force",
            "--config",
            "retraining.yaml",
            "--eval-config",
            "evaluation.yaml",
            "--policy",
            "lenient.yaml",
        ],
        cwd=env,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    exp = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        exp = exp or client.get_experiment_by_name("crmml-churn")
        running = client.search_runs([exp.experiment_id], "attributes.status = 'RUNNING'")
        if running:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the retrain ended before training could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ops.current_champion(client, "churn") == "1"
    assert load_registered(client, "crm-churn", "1", tracking_uri=client.tracking_uri)
    for mv in client.search_model_versions("name='crm-churn'"):
        assert str(mv.status).endswith("READY")
    # The lease of the killed job does not block the next one.
    summary = _retrain(env, "raw", "work3", LENIENT, force=True)
    assert summary["tasks"]["churn"]["decision"] in ("promoted", "not promoted")
    after = {mv.version for mv in client.search_model_versions("name='crm-churn'")}
    assert len(after - before) >= 1


def test_kill_9_between_registration_and_promotion_is_resumed(env):
    from evaluation import registry_ops as ops

    client = _client(env)
    champion = ops.current_champion(client, "churn")
    before = {mv.version for mv in client.search_model_versions("name='crm-churn'")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crmml.cli",
            "retrain",
            "--raw",
            "raw",
            "--as-of",
            "2026-06-30",
            "--tasks",
            "churn",
            "--work",
            "work4",
            "--force",
            "--config",
            "retraining.yaml",
            "--eval-config",
            "evaluation.yaml",
            "--policy",
            "lenient.yaml",
        ],
        cwd=env,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    new = None
    deadline = time.monotonic() + 300
    while new is None and time.monotonic() < deadline and proc.poll() is None:
        fresh = [
            mv
            for mv in client.search_model_versions("name='crm-churn'")
            if mv.version not in before and ops.VERDICT not in (mv.tags or {})
        ]
        new = str(fresh[0].version) if fresh else None
        time.sleep(0.1)
    assert new is not None and proc.poll() is None, "no window between registration and gate"
    proc.send_signal(signal.SIGKILL)  # registered, being evaluated, not promoted
    proc.wait()
    assert ops.current_champion(client, "churn") == champion
    summary = _retrain(env, "raw", "work4", LENIENT)  # same data: evaluates the orphan
    churn = summary["tasks"]["churn"]
    assert churn["new_version"] == new and churn["decision"] == "promoted"
    assert ops.current_champion(client, "churn") == new
    assert ops.promotion_log(client, "churn")[-1]["to"] == new


def test_promotion_interrupted_before_its_log_entry_is_recovered(env):
    from evaluation import registry_ops as ops

    client = _client(env)
    champion = ops.current_champion(client, "churn")
    target = "2" if champion != "2" else "1"
    # kill -9 between the alias move and the log entry: the alias moved, the log did not.
    client.set_registered_model_alias("crm-churn", "champion", target)
    summary = _retrain(env, "raw", "work3", LENIENT)  # nothing new to train: just reconciles
    assert summary["tasks"]["churn"]["decision"] == "skipped"
    log = ops.promotion_log(client, "churn")
    assert log[-1]["to"] == target and log[-1]["by"] == "crmml retrain (recovered)"
    back = ops.rollback(client, task="churn", reviewer="test", reason="bad promotion")
    assert back["to"] == champion and ops.current_champion(client, "churn") == champion


def test_erase_reports_versions_trained_on_the_customer(env):
    import pandas as pd

    id_map = pd.read_parquet(env / "work1" / "id_map.parquet")
    train = pd.read_parquet(env / "work1" / "churn.parquet")
    raw_id = id_map.loc[id_map["pseudonym"].isin(train["entity_id"]), "raw_id"].iloc[0]
    out = _cli(env, "erase", "--customer", str(raw_id), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["added"][0]["new"] is True
    assert str(raw_id) not in (env / "home" / "suppression.json").read_text()
    v1 = next(v for v in result["versions"] if v["version"] == "1")
    assert v1["included"] is True


def test_promotion_interrupted_before_the_alias_moved_is_completed(env):
    from evaluation import registry_ops as ops
    from retraining.promotion import resume_promotion

    client = _client(env)
    v1 = client.get_model_version("crm-churn", "1")
    # A version whose gate passed but whose job was killed before the alias moved.
    version = str(client.create_model_version("crm-churn", v1.source, run_id=v1.run_id).version)
    client.set_model_version_tag("crm-churn", version, ops.VERDICT, "pass")
    champion = ops.current_champion(client, "churn")
    assert resume_promotion(client, "churn", version, verdict="pass", champion=champion)
    assert ops.current_champion(client, "churn") == version
    assert ops.promotion_log(client, "churn")[-1]["to"] == version
    # A version the log already knows (promoted, then rolled back) is never re-promoted.
    ops.rollback(client, task="churn", reviewer="test", reason="rolled back on purpose")
    assert not resume_promotion(client, "churn", version, verdict="pass", champion=champion)
    assert ops.current_champion(client, "churn") == champion


def test_backtest_scores_a_matured_past_snapshot(env):
    out = _cli(
        env,
        "backtest",
        "--task",
        "churn",
        "--raw",
        "raw",
        "--as-of",
        "2026-02-28",
        "--version",
        "1",
        "--out",
        "bt",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads((env / "bt" / "backtest.json").read_text())
    assert report["model"]["version"] == "1" and report["rows"] > 50
    assert 0.5 < report["roc_auc"]["value"] <= 1
    assert report["calibration"]["table"] and report["fairness"]["attributes"]
    late = _cli(
        env,
        "backtest",
        "--task",
        "churn",
        "--raw",
        "raw",
        "--as-of",
        "2026-05-31",
        "--version",
        "1",
    )
    assert late.returncode == 1 and "mature" in late.stderr
