"""Loading one registry version as a :class:`Champion` (model + scorer + info).

The hot path never calls ``mlflow.pyfunc.load_model``: the registered version's artifacts are
downloaded, the pyfunc's ``data_path`` is read from its ``MLmodel`` file and handed to
``models.load_model_dir`` (JSON + LightGBM text, no pickle).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from serving.config import ServingConfig
from serving.fetch import Fetched
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


def _approval(tags: dict[str, str]) -> dict[str, Any]:
    """The evaluation stage's gate verdict and reviewer decision (``crmml.*`` version tags)."""
    decision: Any = tags.get("crmml.decision")
    try:
        decision = json.loads(decision) if decision else None
    except ValueError:
        pass
    if isinstance(decision, dict):
        decision = {k: decision.get(k) for k in ("decision", "reviewer", "at", "override")}
    return {
        "verdict": tags.get("crmml.verdict", "not evaluated"),
        "decision": decision,
        "evaluated_at": tags.get("crmml.evaluated_at"),
    }


def _categories(model: Any) -> dict[str, list[str]] | None:
    # The fitted encoder's vocabulary: values outside it are scored as "unknown/rare".
    pipeline = getattr(model, "pipeline", None)
    vocab = getattr(pipeline.steps[0][1], "vocabulary_", None) if pipeline is not None else None
    return {k: [str(x) for x in v] for k, v in vocab.items()} if isinstance(vocab, dict) else None


def build_champion(client, cfg: ServingConfig, *, task: str, version) -> Champion:
    """Download ``crm-<task>`` version ``version`` and build its scorer (raises on any fault)."""
    from serving.fetch import fetch_version

    tmp = Path(tempfile.mkdtemp(prefix="crmml-model-"))
    try:
        name = cfg.model_name(task)
        got = fetch_version(client, name, task=task, version=str(version), dest=tmp)
        return champion_from_fetched(got, cfg, task=task)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def champion_from_fetched(got: Fetched, cfg: ServingConfig, *, task: str) -> Champion:
    """Build a champion from a version :mod:`serving.fetch` downloaded."""
    return champion_from_dir(
        Path(got.local),
        cfg,
        task=task,
        version=got.version,
        tags=got.tags,
        run_id=got.run_id,
        features=got.features,
    )


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
        "approval": _approval(tags),
        "report": tags.get("crmml.report") or tags.get("report_uri") or tags.get("report"),
        "run_id": run_id,
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Champion(task, name, version, scorer, info)


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
    from serving.fetch import alias_version, cannot_load

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name = cfg.model_name(task)
    what = f"{name} v{version}" if version else f"{name}@{cfg.alias}"
    try:
        if version is None:
            version = alias_version(client, name, cfg.alias)
        return build_champion(client, cfg, task=task, version=version)
    except CrmmlError:
        raise
    except Exception as exc:
        raise CrmmlError(cannot_load(what, tracking_uri, exc)) from None
