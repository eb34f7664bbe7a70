"""Serving: the champion models over HTTP (BentoML) and in batch, one scoring code path.

:class:`Scorer` turns a loaded model into scores, tiers, reasons and warnings; the BentoML
service (``serving.service:CrmmlService``, started by ``crmml serve``) wraps it with auth
(``X-API-Key``), limits (413/415/422) and the alias hot swap (:class:`ChampionWatcher`);
:func:`score_file` (``crmml score``) uses it on files; :func:`export_champions`
(``crmml bundle``) packs the champions for ``bentoml build``; :class:`CrmmlClient` is a
small HTTP client for CRM backends.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): `crmml --help` imports serving.cli, which must not pull in
# the models, pandas and MLflow just to print help.
_EXPORTS = {
    "PredictionLog": "serving.audit",
    "ApiKeys": "serving.auth",
    "score_file": "serving.batch",
    "export_champions": "serving.bundle",
    "load_bundle": "serving.bundle",
    "Champion": "serving.champion",
    "build_champion": "serving.champion",
    "champion_from_dir": "serving.champion",
    "load_champion": "serving.champion",
    "CrmmlClient": "serving.client",
    "CrmmlClientError": "serving.client",
    "ServingConfig": "serving.config",
    "Tier": "serving.config",
    "load_serving_config": "serving.config",
    "ScoringSetStore": "serving.entities",
    "lead_records": "serving.leads",
    "ChampionWatcher": "serving.registry_watch",
    "Scorer": "serving.scorer",
    "Problem": "serving.validation",
    "RequestInvalid": "serving.validation",
    "validate_records": "serving.validation",
}

if TYPE_CHECKING:
    from serving.audit import PredictionLog
    from serving.auth import ApiKeys
    from serving.batch import score_file
    from serving.bundle import export_champions, load_bundle
    from serving.champion import Champion, build_champion, champion_from_dir, load_champion
    from serving.client import CrmmlClient, CrmmlClientError
    from serving.config import ServingConfig, Tier, load_serving_config
    from serving.entities import ScoringSetStore
    from serving.leads import lead_records
    from serving.registry_watch import ChampionWatcher
    from serving.scorer import Scorer
    from serving.validation import Problem, RequestInvalid, validate_records


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ApiKeys",
    "Champion",
    "ChampionWatcher",
    "CrmmlClient",
    "CrmmlClientError",
    "PredictionLog",
    "Problem",
    "RequestInvalid",
    "Scorer",
    "ScoringSetStore",
    "ServingConfig",
    "Tier",
    "build_champion",
    "champion_from_dir",
    "export_champions",
    "lead_records",
    "load_bundle",
    "load_champion",
    "load_serving_config",
    "score_file",
    "validate_records",
]
