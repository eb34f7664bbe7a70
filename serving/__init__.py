"""Serving: the champion models over HTTP (BentoML) and in batch, one scoring code path.

:class:`Scorer` turns a loaded model into scores, tiers, reasons and warnings; the BentoML
service (``serving.service:CrmmlService``, started by ``crmml serve``) wraps it with auth,
limits and the alias hot swap; :func:`score_file` (``crmml score``) uses it on files;
:class:`CrmmlClient` is a small HTTP client for CRM backends.
"""

from serving.auth import ApiKeys
from serving.batch import score_file
from serving.champion import Champion, build_champion, load_champion
from serving.client import CrmmlClient, CrmmlClientError
from serving.config import ServingConfig, Tier, load_serving_config
from serving.registry_watch import ChampionWatcher
from serving.scorer import Scorer
from serving.validation import Problem, RequestInvalid, validate_records

__all__ = [
    "ApiKeys",
    "Champion",
    "ChampionWatcher",
    "CrmmlClient",
    "CrmmlClientError",
    "Problem",
    "RequestInvalid",
    "Scorer",
    "ServingConfig",
    "Tier",
    "build_champion",
    "load_champion",
    "load_serving_config",
    "score_file",
    "validate_records",
]
