"""``crmml retrain`` end to end on sample exports with a real SQLite store (slow).

The tests share one store and run in file order: promote -> idempotent re-run -> drifted data
(drift detected, unfair challenger refused) -> kill -9 during training, before the gate and
during the promotion, each recovered by the next run -> erasure reported.
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


def _start_retrain(env: Path, work: str, *extra: str) -> subprocess.Popen:
    """``crmml retrain`` of ``raw`` (churn, lenient policy) as a process the test can kill."""
    args = ["retrain", "--raw", "raw", "--as-of", "2026-06-30", "--tasks", "churn"]
    args += ["--work", work, "--config", "retraining.yaml", "--eval-config", "evaluation.yaml"]
    return subprocess.Popen(
        [sys.executable, "-m", "crmml.cli", *args, "--policy", "lenient.yaml", *extra],
        cwd=env,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
    proc = _start_retrain(env, "work3", "--force")
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
    proc = _start_retrain(env, "work4", "--force")
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


ALIAS_SQL = "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?"
VERDICT_SQL = "SELECT value FROM model_version_tags WHERE name = ? AND version = ? AND key = ?"
LOG_SQL = "SELECT value FROM registered_model_tags WHERE name = ? AND key LIKE 'crmml.promotion.%'"


def _assert_aliases_name_ready_versions(client) -> None:
    for alias, version in client.get_registered_model("crm-churn").aliases.items():
        mv = client.get_model_version("crm-churn", str(version))  # raises if it is missing
        assert str(mv.status).endswith("READY"), (alias, version, mv.status)


def _kill_9(job: subprocess.Popen) -> None:
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL


def test_kill_9_during_promotion_leaves_old_or_new_champion_and_is_recovered(env):
    """Two real ``kill -9`` of ``crmml retrain`` inside the promotion, then a recovery run.

    How the job is stopped at a known point without a hook in it: the test holds the SQLite
    store's write lock from its own connection (``tests.retraining.store_lock``) and checks the
    registry *under that lock* every millisecond or so; once the state it waits for is there,
    no further write of the job can commit (MLflow's sessions wait up to 20 s on the lock), so
    the job is frozen right after that state, alive, and is killed there for real.

    1. A forced retrain is killed after its gate verdict was written and before the champion
       alias moved (the writes in between: the other verdict tags and the approval record).
    2. A plain retrain of the same data resumes that promotion (no training): it is killed
       after the alias moved and before the promotion-log entry, the one window where the
       alias and the log disagree. The alias is one row written in one transaction, so it
       names the old or the new version, never none.
    3. The next retrain records the lost log entry ("crmml retrain (recovered)"), so rollback
       still finds the previous champion.
    """
    from evaluation import registry_ops as ops
    from evaluation.run import load_registered
    from tests.retraining.store_lock import wait_for_row, write_lock_once

    client, db = _client(env), env / "mlflow.db"
    old = ops.current_champion(client, "churn")
    newest = max(int(mv.version) for mv in client.search_model_versions("name='crm-churn'"))

    job = _start_retrain(env, "work5", "--force")
    newer = "SELECT version FROM model_versions WHERE name = ? AND version > ?"
    (new,) = wait_for_row(db, newer, ("crm-churn", newest), job=job)
    verdict = ("crm-churn", new, ops.VERDICT)
    with write_lock_once(db, VERDICT_SQL, verdict, job=job) as store:
        time.sleep(0.5)  # the job's next write is waiting on the lock, not done
        assert job.poll() is None, "the job ended instead of waiting on the store's lock"
        assert store.execute(VERDICT_SQL, verdict).fetchone() == ("pass",)
        assert store.execute(ALIAS_SQL, ("crm-churn", "champion")).fetchone() == (int(old),)
        _kill_9(job)
    new = str(new)
    assert ops.current_champion(client, "churn") == old
    _assert_aliases_name_ready_versions(client)

    job = _start_retrain(env, "work5")  # same data: resumes the promotion of `new`
    with write_lock_once(
        db, ALIAS_SQL + " AND version = ?", ("crm-churn", "champion", int(new)), job=job
    ) as store:
        time.sleep(0.5)
        assert job.poll() is None, "the job ended instead of waiting on the store's lock"
        logged = [json.loads(v)["to"] for (v,) in store.execute(LOG_SQL, ("crm-churn",))]
        assert new not in logged, "the log entry was written before the lock was taken"
        _kill_9(job)
    assert ops.current_champion(client, "churn") == new
    assert load_registered(client, "crm-churn", new, tracking_uri=client.tracking_uri)
    _assert_aliases_name_ready_versions(client)
    assert ops.promotion_log(client, "churn")[-1]["to"] != new  # the entry was lost

    summary = _retrain(env, "raw", "work5", LENIENT)  # nothing new to train: reconciles
    churn = summary["tasks"]["churn"]
    assert churn["decision"] == "skipped" and churn["old_version"] == new
    entry = ops.promotion_log(client, "churn")[-1]
    assert (entry["from"], entry["to"]) == (old, new)
    assert entry["by"] == "crmml retrain (recovered)" and entry["verdict"] == "pass"
    back = ops.rollback(client, task="churn", reviewer="test", reason="bad promotion")
    assert back["to"] == old and ops.current_champion(client, "churn") == old


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
    # A merged duplicate is trained under its company's pseudonym; only the id map of work1
    # (outside $CRMML_HOME/runs, found through the store) says which.
    merged = id_map["raw_id"] != id_map["canonical_id"]
    dup = id_map.loc[merged & id_map["pseudonym"].isin(train["entity_id"])].iloc[0]
    out = _cli(env, "erase", "--customer", str(dup["raw_id"]), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert dup["pseudonym"] in result["added"][0]["pseudonyms"]
    assert next(v for v in result["versions"] if v["version"] == "1")["included"] is True


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
