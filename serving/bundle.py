"""A bundle of the current champions, so ``bentoml build`` makes a self-contained bento.

``crmml bundle --out serving/bundle`` downloads each task's ``@champion`` (the logged model,
its registry tags and the feature manifest) into a folder that ``bentofile.yaml`` includes;
the service loads it from ``CRMML_BUNDLE_DIR`` when no registry is reachable, and follows the
registry alias again when ``MLFLOW_TRACKING_URI`` is set.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from crmml.errors import CrmmlError
from serving.champion import Champion, champion_from_dir
from serving.config import ServingConfig
from serving.fetch import fetch_version

log = logging.getLogger("crmml.serving")
BUNDLE_ENV = "CRMML_BUNDLE_DIR"
_INFO = "version.json"


def export_champions(cfg: ServingConfig, *, tracking_uri: str, out: Path) -> dict[str, str]:
    """Write every task's champion under ``out/<task>/``; returns task -> version.

    Each one is loaded and scored once before the folder replaces ``out`` (atomic rename).
    """
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    exported: dict[str, str] = {}
    try:
        for task in cfg.tasks:
            name = cfg.model_name(task)
            try:
                mv = client.get_model_version_by_alias(name, cfg.alias)
            except Exception:
                log.warning("%s has no '%s' alias: not bundled", name, cfg.alias)
                continue
            dest = tmp / task
            dest.mkdir(parents=True)
            got = fetch_version(client, name, task=task, version=mv.version, dest=dest / "got")
            shutil.move(got.local, dest / "model")
            shutil.rmtree(dest / "got", ignore_errors=True)
            info = {
                "name": name,
                "version": got.version,
                "tags": got.tags,
                "run_id": got.run_id,
                "features": got.features,
            }
            (dest / _INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
            _load_one(cfg, dest, task)  # refuse to bundle a model that cannot score
            exported[task] = str(mv.version)
        if not exported:
            raise CrmmlError(f"{tracking_uri}: no task has a '{cfg.alias}' model to bundle")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return exported


def _load_one(cfg: ServingConfig, folder: Path, task: str) -> Champion:
    info = json.loads((folder / _INFO).read_text(encoding="utf-8"))
    return champion_from_dir(
        folder / "model",
        cfg,
        task=task,
        version=str(info["version"]),
        tags=info.get("tags") or {},
        run_id=info.get("run_id"),
        features=info.get("features"),
    )


def find_bundle() -> Path | None:
    """``$CRMML_BUNDLE_DIR`` (relative to the cwd or the source root), else the bento's
    ``serving/bundle`` if it exists (bentofile ``envs`` only apply inside containers)."""
    root = Path(__file__).resolve().parent.parent
    env = os.environ.get(BUNDLE_ENV)
    candidates = [Path(env), root / env] if env else [root / "serving" / "bundle"]
    return next((c for c in candidates if c.is_dir()), None)


def load_bundle(cfg: ServingConfig, bundle_dir: Path) -> dict[str, Champion]:
    """The bundled champions found under ``bundle_dir`` (a broken one is logged, skipped)."""
    found: dict[str, Champion] = {}
    for task in cfg.tasks:
        folder = Path(bundle_dir) / task
        if not (folder / _INFO).is_file():
            continue
        try:
            found[task] = _load_one(cfg, folder, task)
        except Exception as exc:
            log.error("bundled %s model failed to load (%s: %s)", task, type(exc).__name__, exc)
    return found
