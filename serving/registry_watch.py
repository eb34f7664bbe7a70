"""Alias polling and the atomic swap of the served champions.

A new version is built fully (see :mod:`serving.champion`) before one dict reference is
swapped, so a request sees the old or the new model, never both. A version that fails to load
is logged and skipped until the alias moves again; the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading

from serving.champion import Champion, build_champion
from serving.config import ServingConfig
from serving.heap import settle

log = logging.getLogger("crmml.serving")


class ChampionWatcher:
    """Serve each task's ``@champion`` and follow the alias when it moves.

    ``get(task)`` returns the current :class:`Champion` (or ``None``: task not served).
    """

    def __init__(self, cfg: ServingConfig, *, tracking_uri: str):
        from mlflow import MlflowClient

        self.cfg = cfg
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._champions: dict[str, Champion] = {}
        self._failed: dict[str, str] = {}
        self.not_served: dict[str, str] = {t: "not loaded yet" for t in cfg.tasks}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one refresh at a time; readers never take it

    def seed(self, champions: dict[str, Champion]) -> None:
        """Start from already loaded champions (a bundle); the alias is still followed."""
        with self._lock:
            self._champions = {**self._champions, **champions}
            for task in champions:
                self.not_served.pop(task, None)

    def get(self, task: str) -> Champion | None:
        return self._champions.get(task)

    def champions(self) -> dict[str, Champion]:
        return self._champions

    def _alias_version(self, task: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(
                self.client.get_model_version_by_alias(
                    self.cfg.model_name(task), self.cfg.alias
                ).version
            )
        except MlflowException as exc:
            if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code) or "not found" in str(exc):
                return None
            raise

    def refresh(self) -> list[str]:
        """Check every task's alias once; load and swap in moved ones. Returns swapped tasks."""
        swapped = []
        with self._lock:
            for task in self.cfg.tasks:
                try:
                    version = self._alias_version(task)
                except Exception as exc:
                    log.error("registry unreachable for %s: %s", task, exc)
                    continue
                current = self._champions.get(task)
                if version is None:
                    if current is None:
                        self.not_served[task] = (
                            f"no '{self.cfg.alias}' alias on {self.cfg.model_name(task)}"
                        )
                    continue  # a removed alias keeps the loaded model: never drop to nothing
                if (current and current.version == version) or self._failed.get(task) == version:
                    continue
                try:
                    champ = build_champion(self.client, self.cfg, task=task, version=version)
                except Exception as exc:
                    self._failed[task] = version
                    where = f"still serving v{current.version}" if current else "task not served"
                    log.error(
                        "loading %s v%s failed (%s: %s); %s",
                        self.cfg.model_name(task),
                        version,
                        type(exc).__name__,
                        exc,
                        where,
                    )
                    if current is None:
                        self.not_served[task] = f"v{version} failed to load: {exc}"
                    continue
                # Build fully, then swap one reference: readers see old or new, never a mix.
                self._champions = {**self._champions, task: champ}
                self.not_served.pop(task, None)
                swapped.append(task)
                log.info(
                    "serving %s v%s%s",
                    champ.name,
                    version,
                    f" (was v{current.version})" if current else "",
                )
        return swapped

    def start(self) -> None:
        """Poll the registry every ``poll_seconds`` in a daemon thread."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self.cfg.poll_seconds):
                try:
                    if self.refresh():
                        settle(after_swap=True)
                except Exception:  # the watcher must outlive any registry hiccup
                    log.exception("champion refresh failed")

        self._thread = threading.Thread(target=loop, name="crmml-champion-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
