"""``crmml schedule``: an embedded APScheduler loop for users with no scheduler of their own.

Each firing runs the given crmml command in a child process (``python -m crmml.cli ...``), so
a crash or a ``kill -9`` of a job never takes the scheduler down, and the retrain lock, not
the scheduler, guarantees one retrain at a time. SIGTERM / SIGINT stop the loop cleanly: no
new firing, a running job gets SIGTERM and ``grace`` seconds to finish.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from crmml.errors import ConfigError

log = logging.getLogger("crmml.schedule")


def cron_trigger(expr: str, *, timezone: str | None = None):
    """A trigger from 5 crontab fields (``m h dom mon dow``) or 6 (seconds first, for tests)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(expr, timezone=timezone)
        if len(fields) == 6:
            sec, minute, hour, day, month, dow = fields
            return CronTrigger(
                second=sec,
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=dow,
                timezone=timezone,
            )
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"--cron {expr!r}: {exc}") from None
    raise ConfigError(
        f"--cron {expr!r}: expected 5 crontab fields (minute hour day month weekday), "
        f"found {len(fields)}"
    )


@dataclass
class _Runner:
    argv: list[str]
    grace: float
    max_runs: int | None
    runs: list[int] = field(default_factory=list)
    child: subprocess.Popen | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def __call__(self) -> None:
        if self.stopping.is_set():
            return
        n = len(self.runs) + 1
        log.info("run %d: crmml %s", n, " ".join(self.argv))
        self.child = subprocess.Popen([sys.executable, "-m", "crmml.cli", *self.argv])
        code = self.child.wait()
        self.child = None
        self.runs.append(code)
        log.info("run %d finished with exit code %d", n, code)
        if self.max_runs is not None and len(self.runs) >= self.max_runs:
            self.done.set()

    def terminate(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        log.info("stopping the running job (pid %d), %.0f s grace", child.pid, self.grace)
        child.terminate()
        try:
            child.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            child.kill()


def run_schedule(
    argv: list[str],
    *,
    cron: str,
    timezone: str | None = None,
    grace: float = 60.0,
    max_runs: int | None = None,
) -> list[int]:
    """Run ``crmml <argv>`` on ``cron`` until SIGTERM/SIGINT (or ``max_runs`` runs).

    Returns the exit codes of the runs. Overlapping firings are skipped (one job at a time)
    and missed ones coalesced into one.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    if not argv:
        raise ConfigError("crmml schedule: give the command to run after --, e.g. -- retrain ...")
    trigger = cron_trigger(cron, timezone=timezone)
    runner = _Runner(list(argv), grace, max_runs)
    scheduler = BackgroundScheduler(timezone=timezone) if timezone else BackgroundScheduler()
    scheduler.add_job(
        runner, trigger, id="crmml", max_instances=1, coalesce=True, misfire_grace_time=60
    )

    def stop(signum, _frame) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        runner.stopping.set()
        runner.done.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    scheduler.start()
    job = scheduler.get_job("crmml")
    log.info("scheduled crmml %s on %r; next run %s", " ".join(argv), cron, job.next_run_time)
    try:
        while not runner.done.wait(0.5):  # short waits: signal handlers run in between
            pass
    finally:
        scheduler.pause()
        runner.terminate()
        scheduler.shutdown(wait=True)
        for s, handler in previous.items():
            signal.signal(s, handler)
        log.info("scheduler stopped after %d run(s)", len(runner.runs))
    return runner.runs
