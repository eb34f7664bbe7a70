"""One retrain at a time per tracking store.

PostgreSQL stores use a session advisory lock (the server frees it when the connection dies).
Every other store uses a *lease file*: created with ``O_EXCL``, holding owner, host, pid and
a heartbeat refreshed by a thread. A lease is stale when its process is gone (same host) or
its heartbeat is older than ``stale_after`` seconds (any host), so a job killed with ``kill
-9`` never leaves the lock stuck. Hand-written because no installed library offers a lease
with a stale timeout (``fcntl.flock`` is not one: it is not honoured across NFS hosts).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from crmml.errors import CrmmlError
from crmml.paths import crmml_home

LOCKED_EXIT = 75  # EX_TEMPFAIL: another retrain holds the lock, try again later


class AlreadyRunning(CrmmlError):
    """Another retrain holds the lock of this tracking store (exit 75)."""

    exit_code = LOCKED_EXIT


def lease_path(tracking_uri: str) -> Path:
    """Where the lease of a store lives: beside a SQLite file, else under ``$CRMML_HOME``."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme == "sqlite":
        db = Path(tracking_uri.removeprefix("sqlite:///"))
        return db.with_name(db.name + ".retrain.lock")
    if parsed.scheme in ("", "file"):
        return Path(parsed.path or tracking_uri) / ".crmml-retrain.lock"
    digest = hashlib.sha256(tracking_uri.encode("utf-8")).hexdigest()[:16]
    return crmml_home() / "locks" / f"retrain-{digest}.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, OSError):
        return {}  # being written right now, or garbage: judged by its mtime only


def _stale(path: Path, info: dict, stale_after: float) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int):
        if not _pid_alive(info["pid"]):
            return True
    return age > stale_after


class Lease:
    """A held lease file; :meth:`release` (or the context manager) gives it back."""

    def __init__(self, path: Path, info: dict, heartbeat: float):
        self.path, self.info = path, info
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(heartbeat,), name="crmml-lease", daemon=True
        )
        self._thread.start()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            with contextlib.suppress(OSError):
                if (_read(self.path) or {}).get("token") == self.info["token"]:
                    os.utime(self.path)

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if (_read(self.path) or {}).get("token") == self.info["token"]:
            self.path.unlink(missing_ok=True)


def _create(path: Path, info: dict) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _break(path: Path, seen: dict) -> None:
    """Move a stale lease aside, unless it was replaced meanwhile (then put that one back)."""
    aside = path.with_name(f"{path.name}.stale-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if seen and (_read(aside) or {}).get("token") != seen.get("token"):
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.link(aside, path)  # a fresh lease of another process: restore it
    aside.unlink(missing_ok=True)


def acquire_lease(
    path: Path, *, owner: str, stale_after: float = 600.0, heartbeat: float | None = None
) -> Lease:
    """Take the lease at ``path`` or raise :class:`AlreadyRunning` naming its holder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "token": uuid.uuid4().hex,
        "owner": owner,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for _ in range(3):
        if _create(path, info):
            return Lease(path, info, heartbeat or max(stale_after / 4, 0.05))
        held = _read(path)
        if held is None:
            continue  # released between our two steps: try again
        if not _stale(path, held, stale_after):
            raise AlreadyRunning(
                f"a retrain is already running ({held.get('owner', '?')}, pid "
                f"{held.get('pid', '?')} on {held.get('host', '?')} since "
                f"{held.get('started', '?')}; lock {path}); try again later"
            )
        _break(path, held)
    raise AlreadyRunning(f"could not take the retrain lock {path} (contended); try again later")


_PG_KEY = 0x63726D6D6C  # "crmml": the advisory-lock key space of retraining


@contextlib.contextmanager
def _pg_lock(tracking_uri: str) -> Iterator[None]:
    import sqlalchemy

    key = _PG_KEY + int(hashlib.sha256(tracking_uri.encode()).hexdigest()[:6], 16)
    engine = sqlalchemy.create_engine(tracking_uri, poolclass=sqlalchemy.pool.NullPool)
    conn = engine.connect()
    try:
        got = conn.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if not got:
            raise AlreadyRunning(
                "a retrain is already running on this PostgreSQL tracking store "
                f"(advisory lock {key} is held); try again later"
            )
        try:
            yield
        finally:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()
        engine.dispose()


@contextlib.contextmanager
def retrain_lock(
    tracking_uri: str, *, owner: str = "crmml retrain", stale_after: float = 600.0
) -> Iterator[None]:
    """Hold the store's retrain lock for the ``with`` block (advisory lock or lease file)."""
    if urlparse(tracking_uri).scheme.startswith("postgres"):
        with _pg_lock(tracking_uri):
            yield
        return
    lease = acquire_lease(lease_path(tracking_uri), owner=owner, stale_after=stale_after)
    try:
        yield
    finally:
        lease.release()
