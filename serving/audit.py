"""The prediction log: one JSON line per prediction, for monitoring and audit.

Lines carry the pseudonymised entity id, model name/version, score, tier and request latency,
never feature values or raw customer ids. Files are ``$CRMML_HOME/predictions/<task>-<UTC
day>.jsonl``; the directory is created on first write, not at import.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from crmml.paths import crmml_home


class PredictionLog:
    """Thread-safe appender (one ``write`` per request, lines kept whole)."""

    def __init__(self, root: Path | None = None, *, enabled: bool = True):
        self.root = Path(root) if root else crmml_home() / "predictions"
        self.enabled = enabled
        self._lock = threading.Lock()

    def write(self, task: str, predictions: list[dict], *, request_id: str, latency_ms: float):
        if not self.enabled or not predictions:
            return
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        lines = "".join(
            json.dumps(
                {
                    "ts": stamp,
                    "request_id": request_id,
                    "task": task,
                    "entity_id": p.get("entity_id"),
                    "model": p.get("model", {}).get("name"),
                    "version": p.get("model", {}).get("version"),
                    "score": p.get("score"),
                    "tier": p.get("tier"),
                    "latency_ms": round(latency_ms, 3),
                }
            )
            + "\n"
            for p in predictions
            if "score" in p
        )
        path = self.root / f"{task}-{time.strftime('%Y-%m-%d', time.gmtime(now))}.jsonl"
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(lines)
