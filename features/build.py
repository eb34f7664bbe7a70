"""Point-in-time training sets: (entity, snapshot) rows, features up to it, labels after it.

``build_training_sets`` is the stage function behind ``crmml features``; ``snapshot_features``
is the one feature code path, used by the builder for every snapshot, by the point-in-time
property test and by serving.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmml.errors import CrmmlError
from crmml.memory import paused_gc, reuse_freed_memory
from features import labels as lb
from features.config import FeaturesConfig
from features.contract import (
    AS_OF,
    ENTITY_ID,
    FEATURE_VERSION,
    LABEL,
    TASK_REQUIREMENTS,
    TASKS,
    buildable_tasks,
)
from features.customer_attributes import SENSITIVE as CUSTOMER_SENSITIVE
from features.customer_features import customer_features, customer_specs
from features.event_table import codes as id_codes
from features.events import Prepared, prepare
from features.exports import Exports
from features.json_map import json_object
from features.lead_features import SENSITIVE as LEAD_SENSITIVE
from features.lead_features import lead_features, lead_specs
from features.output import TrainingSetWriter
from features.privacy import load_key, pseudonymize
from features.snapshots import snapshot_dates

ENTITY_KEY = "entity_key"
MERGE_MAP_FILE = "merge_map.json"
ID_MAP_FILE = "id_map.parquet"
ENTITY = {"churn": "customer", "repurchase": "customer", "lead_score": "lead"}


def _specs(task: str, config: FeaturesConfig):
    return lead_specs(config) if task == "lead_score" else customer_specs(config)


def _sensitive(task: str) -> tuple[str, ...]:
    return LEAD_SENSITIVE if task == "lead_score" else CUSTOMER_SENSITIVE


class _Features:
    """Feature frames of all entities per (entity kind, date), computed once per build."""

    def __init__(self, prep: Prepared, config: FeaturesConfig):
        self.prep, self.config, self._cache = prep, config, {}

    def __call__(self, task: str, snapshot: date) -> pd.DataFrame:
        key = (ENTITY[task], snapshot)
        if key not in self._cache:
            # An earlier date's frames go before this one is computed: its same-sized columns
            # reuse their memory instead of adding a frame's worth (1M customers: ~0.4 GB).
            self._cache = {k: v for k, v in self._cache.items() if k[1] == snapshot}
            fn = lead_features if task == "lead_score" else customer_features
            frame = fn(self.prep, snapshot=snapshot, config=self.config)
            expected = [s.name for s in _specs(task, self.config)] + list(_sensitive(task))
            if list(frame.columns) != expected:  # the registry and the code must not drift
                raise RuntimeError(f"{task}: feature columns {list(frame.columns)} != specs")
            self._cache[key] = frame
        return self._cache[key]


def _rows(prep: Prepared, feats: _Features, task: str, snapshot: date, config: FeaturesConfig):
    mask = lb.eligible(prep, task=task, snapshot=snapshot, config=config)
    frame = feats(task, snapshot).loc[mask]
    frame.insert(0, AS_OF, pd.Timestamp(snapshot).as_unit("ns"))
    return np.flatnonzero(mask), frame


def snapshot_features(
    exports: Exports,
    *,
    task: str,
    snapshot: date,
    config: FeaturesConfig | None = None,
    prepared: Prepared | None = None,
) -> pd.DataFrame:
    """Features of the task's eligible entities at ``snapshot``, from data on or before it.

    Returns a frame indexed by the canonical raw id (``entity_key``; pseudonymise before it
    leaves the operator) with ``as_of``, the feature columns and the ``sensitive__*`` columns.
    ``prepared`` (from :func:`features.events.prepare`) skips re-indexing the export.
    """
    if task not in ENTITY:
        raise CrmmlError(f"task {task!r}: unknown; expected one of {', '.join(TASKS)}")
    config = config or FeaturesConfig()
    prep = prepared or prepare(exports, renewal_grace_days=config.churn.renewal_grace_days)
    codes, frame = _rows(prep, _Features(prep, config), task, snapshot, config)
    ids = prep.lead_ids if ENTITY[task] == "lead" else prep.customer_ids
    frame.index = pd.Index(ids[codes], name=ENTITY_KEY, dtype="string")
    return frame


def _resolve_tasks(exports: Exports, tasks: list[str] | None) -> list[str]:
    present = {t for t in exports.tables if exports.has(t)}
    if not tasks:
        found = buildable_tasks(present)
        if not found:
            raise CrmmlError(
                f"{exports.source_dir or 'export'}: no task can be built: churn and repurchase "
                "need an orders table, lead_score a leads table"
            )
        return found
    problems = []
    for t in tasks:
        if t not in TASKS:
            problems.append(f"--tasks: unknown task {t!r}; expected one of {', '.join(TASKS)}")
        elif missing := [r for r in TASK_REQUIREMENTS[t] if r not in present]:
            problems.append(f"--tasks {t}: needs table(s) {missing}, not found in the export")
    if problems:
        raise CrmmlError("; ".join(problems), problems=problems)
    return list(dict.fromkeys(tasks))


def data_hash(exports: Exports, config: FeaturesConfig, snapshots: dict[str, list[str]]) -> str:
    """sha256 over the sorted input file hashes, the config JSON, as-of and snapshot dates."""
    h = hashlib.sha256()
    for name, digest in sorted(exports.file_hashes.items()):
        h.update(f"{name}={digest}\n".encode())
    h.update(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode())
    h.update(str(exports.as_of).encode())
    h.update(json.dumps(snapshots, sort_keys=True).encode())
    return h.hexdigest()


def _id_maps(exports: Exports, prep: Prepared, cust_ps: pd.Series, lead_ps: pd.Series):
    """``merge_map.json`` (every raw customer id, merged ones included -> pseudonym) as bytes,
    and the ``id_map.parquet`` table of all raw ids."""
    cust_ids = pd.Series(np.asarray(prep.customer_ids, dtype=object), dtype="string")
    lead_ids = pd.Series(np.asarray(prep.lead_ids, dtype=object), dtype="string")
    merge_raw = pd.Series([str(k) for k in exports.merge_map], dtype="string")
    merge_canon = pd.Series([str(v) for v in exports.merge_map.values()], dtype="string")
    # Merged-away ids whose canonical id is a customer of this export get its pseudonym.
    pos = id_codes(prep.customer_ids, merge_canon) if len(merge_canon) else np.zeros(0, int)
    keep = pos >= 0
    customers = pd.DataFrame(
        {
            "pseudonym": _concat(cust_ps, cust_ps.iloc[pos[keep]]),
            "raw_id": _concat(cust_ids, merge_raw[keep]),
            "canonical_id": _concat(cust_ids, merge_canon[keep]),
            "kind": "customer",
        }
    )
    leads = pd.DataFrame(
        {"pseudonym": lead_ps, "raw_id": lead_ids, "canonical_id": lead_ids, "kind": "lead"}
    )
    id_map = pd.concat([customers, leads], ignore_index=True).astype("string")
    # Customer ids are distinct and so are the merged-away ids (dict keys); the two overlap
    # only if a merged-away id is also a customer id, checked against the few merged ones.
    merged = pa.array(merge_raw[keep], type=pa.large_string())
    overlap = len(merged) and pc.any(pc.is_in(pa.array(cust_ids), value_set=merged)).as_py()
    merge_json = json_object(
        pa.array(customers["raw_id"]),
        pa.array(customers["pseudonym"]),
        unique_keys=not overlap,
    )
    return merge_json, id_map


def _concat(*parts: pd.Series) -> pd.Series:
    return pd.concat(parts, ignore_index=True).astype("string")


def _pairs(tasks: list[str], as_of: date, snapshots: int, every: str, config: FeaturesConfig):
    dates = {
        t: snapshot_dates(
            as_of, snapshots=snapshots, every=every, window_days=lb.window_days(t, config)
        )
        for t in tasks
    }
    # Date-major order: churn and repurchase share customer features of one date.
    pairs = sorted({(d, t) for t in tasks for d in dates[t]}, key=lambda p: (p[0], p[1]))
    return dates, pairs


@reuse_freed_memory()  # the same-sized columns of every snapshot reuse freed pages
@paused_gc()  # millions of ids and pseudonyms, no reference cycles
def build_training_sets(
    exports: Exports,
    *,
    out: Path,
    snapshots: int = 12,
    every: str = "1M",
    config: FeaturesConfig | None = None,
    tasks: list[str] | None = None,
    progress: bool = False,
    key: bytes | None = None,
) -> dict:
    """Build every buildable task (or ``tasks``) and write them to ``out`` atomically.

    Training rows are (entity, snapshot) for ``snapshots`` dates ``every`` apart whose label
    window ends on or before the export's as-of (see :mod:`features.snapshots`); the scoring set
    is built at the as-of itself. Writes ``<task>.parquet``, ``<task>.scoring.parquet``,
    ``manifest.json``, ``merge_map.json`` and the operator-private ``id_map.parquet``.

    Returns
    -------
    dict
        The manifest as written.
    """
    config = config or FeaturesConfig()
    tasks = _resolve_tasks(exports, tasks)
    key = key or load_key()
    as_of = exports.as_of
    prep = prepare(exports, renewal_grace_days=config.churn.renewal_grace_days)
    feats = _Features(prep, config)
    dates, pairs = _pairs(tasks, as_of, snapshots, every, config)
    pairs += [(as_of, t) for t in tasks]  # the scoring snapshot, last
    cust_ps = _pseudonyms(prep.customer_ids, key=key, kind="customer")
    lead_ps = _pseudonyms(prep.lead_ids, key=key, kind="lead")
    # Arrow-backed: each snapshot takes its rows' pseudonyms without a Python-object round trip.
    pseud = {"customer": _arrow_strings(cust_ps), "lead": _arrow_strings(lead_ps)}
    counts = {t: 0 for t in tasks}
    with TrainingSetWriter(Path(out)) as writer, _progress(progress, len(pairs)) as advance:
        for i, (snap, task) in enumerate(pairs):
            # All entities' columns; the writer gathers the eligible rows straight into Arrow.
            positions = np.flatnonzero(lb.eligible(prep, task=task, snapshot=snap, config=config))
            frame = feats(task, snap).copy(deep=False)  # the cached frame stays as it is
            frame.insert(0, AS_OF, pd.Timestamp(snap).as_unit("ns"))
            frame.insert(0, ENTITY_ID, pseud[ENTITY[task]])
            if i < len(pairs) - len(tasks):
                frame[LABEL] = lb.labels(prep, task=task, snapshot=snap, config=config)
                if len(positions):  # one chunk per snapshot, streamed: never concatenated
                    writer.add(task, frame, rows=positions)
                    counts[task] += len(positions)
            elif counts[task]:
                writer.scoring(task, frame, rows=positions)
            del frame  # shares the cached columns: nothing may hold them past the cache
            advance(f"{task} @ {snap}")
        skipped = {
            task: f"no eligible {ENTITY[task]}s at any snapshot from {dates[task][0]} to "
            f"{dates[task][-1]}: the export's history is shorter than the snapshots need "
            "(try fewer --snapshots or a smaller --every)"
            for task in tasks
            if not counts[task]
        }
        if len(skipped) == len(tasks):
            problems = [f"{t}: {r}" for t, r in skipped.items()]
            raise CrmmlError("; ".join(problems), problems=problems)
        built = [t for t in tasks if counts[t]]
        merge_json, id_map = _id_maps(exports, prep, cust_ps, lead_ps)
        del prep, feats  # the event arrays are not needed any more
        manifest = _manifest(exports, config, built, dates, skipped, snapshots, every)
        return writer.commit(
            manifest,
            extra_files={
                MERGE_MAP_FILE: merge_json,
                ID_MAP_FILE: id_map,
            },
        )


def _pseudonyms(ids: pd.Index, *, key: bytes, kind: str) -> pd.Series:
    """Pseudonyms of an entity index: its ids are distinct and present by construction."""
    return pseudonymize(pd.Series(ids, dtype=object), key=key, kind=kind, distinct=True)


def _arrow_strings(ids: pd.Series) -> pd.api.extensions.ExtensionArray:
    return pd.array(pa.array(ids.astype("string"), type=pa.large_string()), dtype="string")


def _manifest(exports, config, built, dates, skipped, snapshots, every) -> dict:
    snaps = {t: [d.isoformat() for d in ds] for t, ds in dates.items()}
    return {
        "feature_version": FEATURE_VERSION,
        "source": "events",
        "as_of": exports.as_of.isoformat(),
        "split": "time",
        "timezone": config.timezone,
        "data_hash": data_hash(exports, config, snaps),
        "inputs": dict(sorted(exports.file_hashes.items())),
        "quality": exports.quality,
        "merge_map_file": MERGE_MAP_FILE,
        "id_map_file": ID_MAP_FILE,
        "private_files": [MERGE_MAP_FILE, ID_MAP_FILE],
        "privacy": "entity_id is a keyed HMAC pseudonym; merge_map.json and id_map.parquet map "
        "raw CRM ids to pseudonyms: operator-private, never log them to MLflow or share them",
        "snapshot_every": every,
        "snapshot_count": snapshots,
        "config": config.model_dump(mode="json"),
        "skipped": skipped,
        "tasks": {
            t: {
                "entity": ENTITY[t],
                "window_days": lb.window_days(t, config),
                "snapshot_dates": snaps[t],
                "features": [s.manifest_entry(t) for s in _specs(t, config)],
                "sensitive": list(_sensitive(t)),
                "drop_after_outcome": [],
            }
            for t in built
        },
    }


@contextmanager
def _progress(enabled: bool, total: int):
    """A rich progress bar over (task, snapshot) steps, or nothing."""
    if not enabled:
        yield lambda label: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        step = bar.add_task("building features", total=total)
        yield lambda label: bar.update(step, advance=1, description=label)
