"""The embedded scheduler: cron parsing, a job fired on a short cron, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from crmml.errors import ConfigError
from retraining.schedule import cron_trigger


def test_crontab_and_seconds_crons_parse():
    weekly = cron_trigger("0 2 * * 1", timezone="UTC")
    assert "day_of_week='mon'" in str(weekly) or "day_of_week='1'" in str(weekly)
    assert "second='*/2'" in str(cron_trigger("*/2 * * * * *", timezone="UTC"))


@pytest.mark.parametrize("bad", ["0 2 * *", "61 * * * *", "every monday"])
def test_bad_cron_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match="--cron"):
        cron_trigger(bad)


def test_no_command_is_a_clear_error():
    from retraining.schedule import run_schedule

    with pytest.raises(ConfigError, match="after --"):
        run_schedule([], cron="* * * * *")


@pytest.mark.timeout(180)
def test_scheduler_fires_the_job_and_stops_on_sigterm(tmp_path):
    log = tmp_path / "schedule.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crmml.cli",
                "schedule",
                "--cron",
                "*/2 * * * * *",
                "--grace",
                "10",
                "--",
                "--help",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )
        deadline = time.monotonic() + 150
        while "finished with exit code 0" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    assert "run 1: crmml --help" in text
    assert "received SIGTERM: stopping" in text
    assert "scheduler stopped after" in text
    assert "Traceback" not in text
