"""Freeze a running job at a chosen registry state by holding the SQLite store's write lock.

A real fault, with no hook in the job: the test's own ``sqlite3`` connection takes the write
lock (``BEGIN IMMEDIATE``), so the job's next registry write waits in SQLite's busy handler
(MLflow sets ``PRAGMA busy_timeout = 20000`` on every session) while its reads go on. The
state is checked *while the lock is held*: once it matches, nothing the job does can commit,
so the job is stuck right after that state (or at a later read) and can be killed there.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Between two checks the lock is free for this long, so the job's writes get through (its
# busy handler retries after 1, 2, 5, 10 ... ms) and the job is slowed, not starved.
_RELEASED_SECONDS = 0.001


@contextmanager
def write_lock_once(
    db: Path, sql: str, params: tuple, *, job: subprocess.Popen, timeout: float = 300.0
) -> Iterator[sqlite3.Connection]:
    """Hold the store's write lock from the moment ``sql`` (run under the lock) finds a row.

    Raises AssertionError if the job exits or ``timeout`` passes first. The lock is released
    (rolled back: the test writes nothing) when the block ends.
    """
    con = sqlite3.connect(db, isolation_level=None, timeout=60)
    try:
        deadline = time.monotonic() + timeout
        while True:
            con.execute("BEGIN IMMEDIATE")
            if con.execute(sql, params).fetchone() is not None:
                break
            con.execute("ROLLBACK")
            if job.poll() is not None:
                raise AssertionError(f"the job exited ({job.returncode}) before: {sql} {params}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no match in {timeout:.0f} s: {sql} {params}")
            time.sleep(_RELEASED_SECONDS)
        yield con
    finally:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()


def wait_for_row(db: Path, sql: str, params: tuple, *, job: subprocess.Popen, timeout=300.0):
    """Poll ``sql`` without locking until it finds a row (a coarse wait before locking)."""
    con = sqlite3.connect(db, isolation_level=None, timeout=60)
    try:
        deadline = time.monotonic() + timeout
        while (row := con.execute(sql, params).fetchone()) is None:
            if job.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the job exited or timed out before: {sql} {params}")
            time.sleep(0.05)
        return row
    finally:
        con.close()
