"""One retrain per tracking store: lease files (stale after a crash) and PostgreSQL locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retraining.lock import (
    LOCKED_EXIT,
    AlreadyRunning,
    acquire_lease,
    lease_path,
    retrain_lock,
)

HOLDER = """
import sys, time
from pathlib import Path
from retraining.lock import acquire_lease
lease = acquire_lease(Path(sys.argv[1]), owner="holder", stale_after=float(sys.argv[2]))
print("held", flush=True)
time.sleep(120)
"""


def _holder(path: Path, stale_after: float = 600.0) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(stale_after)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lease_path_sits_beside_a_sqlite_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMML_HOME", str(tmp_path / "home"))
    assert lease_path(f"sqlite:///{tmp_path}/mlflow.db") == tmp_path / "mlflow.db.retrain.lock"
    remote = lease_path("http://tracking:5000")
    assert remote.parent == tmp_path / "home" / "locks"
    assert remote != lease_path("http://other:5000")


def test_second_holder_is_refused_until_release(tmp_path):
    path = tmp_path / "x.lock"
    lease = acquire_lease(path, owner="first")
    with pytest.raises(AlreadyRunning) as err:
        acquire_lease(path, owner="second")
    assert err.value.exit_code == LOCKED_EXIT == 75
    assert "already running" in str(err.value) and "first" in str(err.value)
    lease.release()
    assert not path.exists()
    acquire_lease(path, owner="second").release()


def test_lease_of_a_killed_process_is_taken_over_at_once(tmp_path):
    path = tmp_path / "x.lock"
    proc = _holder(path)
    with pytest.raises(AlreadyRunning):
        acquire_lease(path, owner="me")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lease = acquire_lease(path, owner="me")  # same host, pid gone: stale
    assert json.loads(path.read_text())["owner"] == "me"
    lease.release()


def test_lease_from_another_host_is_stale_only_after_the_timeout(tmp_path):
    path = tmp_path / "x.lock"
    info = {"token": "t", "owner": "elsewhere", "host": "other-host", "pid": 1, "started": "-"}
    path.write_text(json.dumps(info))
    with pytest.raises(AlreadyRunning):
        acquire_lease(path, owner="me", stale_after=60)
    old = time.time() - 120
    os.utime(path, (old, old))  # no heartbeat for two minutes
    acquire_lease(path, owner="me", stale_after=60).release()


def test_heartbeat_keeps_a_long_job_s_lease_fresh(tmp_path):
    path = tmp_path / "x.lock"
    proc = _holder(path, stale_after=0.6)
    try:
        time.sleep(1.5)  # longer than stale_after: only the heartbeat keeps it alive
        with pytest.raises(AlreadyRunning):
            acquire_lease(path, owner="me", stale_after=0.6)
    finally:
        proc.kill()
        proc.wait()


RACER = """
import sys
from pathlib import Path
from retraining.lock import AlreadyRunning, acquire_lease
try:
    lease = acquire_lease(Path(sys.argv[1]), owner=sys.argv[2])
except AlreadyRunning:
    print("refused", flush=True)
    sys.exit(75)
print("won", flush=True)
sys.stdin.readline()
lease.release()
"""


def test_concurrent_takers_exactly_one_wins(tmp_path):
    path = tmp_path / "x.lock"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), f"p{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outcomes = [p.stdout.readline().strip() for p in procs]
    for p in procs:
        p.communicate("\n", timeout=30)  # the winner releases; the refused have exited
    assert sorted(outcomes) == ["refused", "refused", "refused", "won"]


def test_retrain_command_exits_75_while_another_retrain_holds_the_lock(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "CRMML_HOME": str(tmp_path / "home")}
    (tmp_path / "raw").mkdir()
    with retrain_lock(uri, owner="the running retrain"):
        started = time.monotonic()
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "crmml.cli",
                "retrain",
                "--raw",
                str(tmp_path / "raw"),
                "--as-of",
                "2026-06-30",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 75, out.stderr
    assert "already running" in out.stderr and "the running retrain" in out.stderr
    assert "Traceback" not in out.stderr
    assert time.monotonic() - started < 60  # at once: nothing was read or trained


def _postgres_uri() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3
        ):
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    except Exception:
        return None


@pytest.mark.postgres
def test_postgres_store_uses_an_advisory_lock_freed_with_the_connection():
    uri = _postgres_uri()
    if uri is None:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    code = (
        "import sys, time\nfrom retraining.lock import retrain_lock\n"
        f"with retrain_lock({uri!r}):\n    print('held', flush=True)\n    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning, match="advisory lock"):
            with retrain_lock(uri):
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for _ in range(50):  # the server frees a dead session's lock
        try:
            with retrain_lock(uri):
                return
        except AlreadyRunning:
            time.sleep(0.2)
    pytest.fail("advisory lock not freed after the holder was killed")
