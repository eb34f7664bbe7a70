"""The features stage: CRM exports in, point-in-time training sets out.

Public API (see ``docs/interfaces.md`` for the training-set layout):

- :func:`build_training_sets`: every task's (entity, snapshot) rows, scoring sets and manifest.
- :func:`snapshot_features`: the one feature code path (one task, one snapshot).
- :func:`write_training_sets`: the atomic writer of training-set folders, for any builder.
- :func:`pseudonymize`, :func:`load_key`: keyed pseudonymous entity ids.
- :func:`snapshot_dates`, :func:`parse_every`: the snapshot calendar.
- :func:`seniority`, :func:`title_seniority`: seniority levels from job titles.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): `crmml` imports features.cli for every command; the builder
# (pandas, pyarrow) loads only when one of these names is used.
_EXPORTS = {
    "build_training_sets": "features.build",
    "snapshot_features": "features.build",
    "FeaturesConfig": "features.config",
    "load_features_config": "features.config",
    "Exports": "features.exports",
    "write_training_sets": "features.output",
    "load_key": "features.privacy",
    "pseudonymize": "features.privacy",
    "parse_every": "features.snapshots",
    "snapshot_dates": "features.snapshots",
    "seniority": "features.titles",
    "title_seniority": "features.titles",
}

if TYPE_CHECKING:
    from features.build import build_training_sets, snapshot_features
    from features.config import FeaturesConfig, load_features_config
    from features.exports import Exports
    from features.output import write_training_sets
    from features.privacy import load_key, pseudonymize
    from features.snapshots import parse_every, snapshot_dates
    from features.titles import seniority, title_seniority


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Exports",
    "FeaturesConfig",
    "build_training_sets",
    "load_features_config",
    "load_key",
    "parse_every",
    "pseudonymize",
    "seniority",
    "snapshot_dates",
    "snapshot_features",
    "title_seniority",
    "write_training_sets",
]
