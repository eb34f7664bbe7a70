"""The prediction log: one JSON line per prediction, for monitoring and audit.

Lines carry the pseudonymised entity id, model name/version, score, tier and request latency,
never feature values or raw customer ids. Files are ``$CRMML_HOME/predictions/<task>-<UTC
day>.jsonl``; the directory is created on first write, not at import.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import BinaryIO

import orjson

from crmml.paths import crmml_home


class PredictionLog:
    """Thread-safe appender (one ``write`` per request, lines kept whole).

    The day's file stays open between requests (opening it costs as much as scoring a
    record); it is flushed after every request and reopened when the UTC day changes or the
    file was moved away (log rotation).
    """

    def __init__(self, root: Path | None = None, *, enabled: bool = True):
        self.root = Path(root) if root else crmml_home() / "predictions"
        self.enabled = enabled
        self._lock = threading.Lock()
        self._files: dict[str, tuple[Path, BinaryIO]] = {}

    def write(self, task: str, predictions: list[dict], *, request_id: str, latency_ms: float):
        if not self.enabled or not predictions:
            return
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        latency = round(latency_ms, 3)
        lines = b"".join(
            orjson.dumps(
                {
                    "ts": stamp,
                    "request_id": request_id,
                    "task": task,
                    "entity_id": p.get("entity_id"),
                    "model": p.get("model", {}).get("name"),
                    "version": p.get("model", {}).get("version"),
                    "score": p.get("score"),
                    "tier": p.get("tier"),
                    "latency_ms": latency,
                },
                option=orjson.OPT_APPEND_NEWLINE,
            )
            for p in predictions
            if "score" in p
        )
        path = self.root / f"{task}-{time.strftime('%Y-%m-%d', time.gmtime(now))}.jsonl"
        with self._lock:
            fh = self._open(task, path)
            fh.write(lines)
            fh.flush()

    def _open(self, task: str, path: Path) -> BinaryIO:
        current = self._files.get(task)
        if current is not None and current[0] == path and path.exists():
            return current[1]
        if current is not None:
            current[1].close()
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("ab")
        self._files[task] = (path, fh)
        return fh

    def close(self) -> None:
        with self._lock:
            for _, fh in self._files.values():
                fh.close()
            self._files.clear()
