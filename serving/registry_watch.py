"""Champion loading from the MLflow registry, alias polling and the atomic swap.

The hot path never calls ``mlflow.pyfunc.load_model``: the registered version's artifacts are
downloaded, the pyfunc's ``data_path`` is read from its ``MLmodel`` file and handed to
``models.load_model_dir`` (JSON + LightGBM text, no pickle). A new version is built fully
before one dict reference is swapped, so a request sees the old or the new model, never both.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from serving.config import ServingConfig
from serving.scorer import Scorer

log = logging.getLogger("crmml.serving")


@dataclass(frozen=True)
class Champion:
    """A loaded registry version and the scorer built on it."""

    task: str
    name: str
    version: str
    scorer: Scorer
    info: dict[str, Any] = field(default_factory=dict)


def _model_dir(local: Path) -> tuple[Path, dict]:
    mlmodel = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8"))
    pyfunc = (mlmodel.get("flavors") or {}).get("python_function") or {}
    if pyfunc.get("loader_module") != "models.pyfunc" or not pyfunc.get("data"):
        raise ValueError(f"not a crmml pyfunc model (flavor {pyfunc.get('loader_module')!r})")
    return local / pyfunc["data"], mlmodel.get("metadata") or {}


def _run_features(client, run_id: str | None, task: str, dest: Path) -> list[dict] | None:
    """The run's feature manifest entries (``features/<task>.json``, logged by training)."""
    if not run_id:
        return None
    try:
        path = client.download_artifacts(run_id, f"features/{task}.json", str(dest))
        return json.loads(Path(path).read_text(encoding="utf-8")).get("features")
    except Exception as exc:  # an old run without the manifest: plain phrases
        log.warning("no feature manifest for run %s (%s): generic reason phrases", run_id, exc)
        return None


def _categories(model: Any) -> dict[str, list[str]] | None:
    # The fitted encoder's vocabulary: values outside it are scored as "unknown/rare".
    pipeline = getattr(model, "pipeline", None)
    vocab = getattr(pipeline.steps[0][1], "vocabulary_", None) if pipeline is not None else None
    return {k: [str(x) for x in v] for k, v in vocab.items()} if isinstance(vocab, dict) else None


def build_champion(client, cfg: ServingConfig, *, task: str, version) -> Champion:
    """Download ``crm-<task>`` version ``version`` and build its scorer (raises on any fault)."""
    name = cfg.model_name(task)
    mv = client.get_model_version(name, str(version))
    tmp = Path(tempfile.mkdtemp(prefix="crmml-model-"))
    try:
        local = Path(_download(client, name, str(mv.version), tmp))
        return champion_from_dir(
            local,
            cfg,
            task=task,
            version=str(mv.version),
            tags=dict(mv.tags or {}),
            run_id=mv.run_id,
            features=_run_features(client, mv.run_id, task, tmp),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def champion_from_dir(
    local: Path,
    cfg: ServingConfig,
    *,
    task: str,
    version: str,
    tags: dict[str, str],
    run_id: str | None = None,
    features: list[dict] | None = None,
) -> Champion:
    """Build a champion from a downloaded logged model (``MLmodel`` + pyfunc ``data``)."""
    from models import load_model_dir

    name = cfg.model_name(task)
    model_dir, mlmeta = _model_dir(local)
    model = load_model_dir(model_dir)
    meta = {**mlmeta, **(getattr(model, "metadata", None) or {})}
    entries = meta.get("features") or features or []
    feature_version = tags.get("feature_version") or meta.get("feature_version")
    scorer = Scorer(
        model,
        feature_info={e["name"]: e for e in entries if isinstance(e, dict) and "name" in e},
        tiers=cfg.tiers,
        model_name=name,
        model_version=version,
        top_reasons=cfg.top_reasons,
        feature_version=None if feature_version is None else str(feature_version),
        categories=_categories(model),
        max_records=cfg.max_records,
    )
    scorer.warm_up()  # a version that loads but cannot score is a failed load
    info = {
        "task": task,
        "name": name,
        "version": version,
        "alias": cfg.alias,
        "family": getattr(model, "family", meta.get("family")),
        "feature_version": scorer.feature_version,
        "as_of": tags.get("as_of") or meta.get("as_of"),
        "approval": tags.get("crmml.approval") or tags.get("approval") or tags.get("approved"),
        "report": tags.get("crmml.report") or tags.get("report_uri") or tags.get("report"),
        "run_id": run_id,
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Champion(task, name, version, scorer, info)


def _download(client, name: str, version: str, dest: Path) -> str:
    import mlflow

    # An explicit version, not the alias: the alias may move while we download.
    return mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}/{version}",
        dst_path=str(dest),
        tracking_uri=client.tracking_uri,
        registry_uri=client._registry_uri,  # MlflowClient has no public getter
    )


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
                    self.refresh()
                except Exception:  # the watcher must outlive any registry hiccup
                    log.exception("champion refresh failed")

        self._thread = threading.Thread(target=loop, name="crmml-champion-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def load_champion(
    cfg: ServingConfig, *, task: str, tracking_uri: str, version: str | None = None
) -> Champion:
    """The current ``@champion`` of ``task`` (or ``version``), for batch scoring.

    Raises
    ------
    CrmmlError
        No such alias/version, or the version cannot be loaded.
    """
    from mlflow import MlflowClient

    from crmml.errors import CrmmlError

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name = cfg.model_name(task)
    try:
        if version is None:
            version = str(client.get_model_version_by_alias(name, cfg.alias).version)
        return build_champion(client, cfg, task=task, version=version)
    except CrmmlError:
        raise
    except Exception as exc:
        what = f"{name} v{version}" if version else f"{name}@{cfg.alias}"
        raise CrmmlError(
            f"cannot load {what} from {tracking_uri}: {getattr(exc, 'message', exc)}"
        ) from None
