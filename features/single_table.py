"""The training set from one customer-level table that already has a label column.

Same layout as the event-level path (``docs/interfaces.md``), so training, evaluation and
serving work on it unchanged. With a ``date_column`` each row's ``as_of`` is its date and
training splits by time; without one every row gets the table's as-of and a seeded stratified
random ``split`` column ("train"/"valid"/"test") is written, and the manifest says the
evaluation is not time-based. The scoring file holds every in-range row without the label (a
customer table has no separate future population; rows with an empty label are included).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from crmml.errors import DataQualityError
from features.contract import AS_OF, ENTITY_ID, FEATURE_VERSION, LABEL, SENSITIVE_PREFIX
from features.dataset_spec import DatasetSpec, humanise, resolve_table_path
from features.table_columns import (
    SPLIT,
    FeatureRoles,
    check_columns,
    feature_column,
    feature_roles,
    sensitive_columns,
)
from features.table_labels import check_classes, parse_label, random_split, value_counts
from features.table_reader import parse_dates, read_table, sha256_file

RANDOM_NOTE = "not time-based: random stratified split"
ID_MAP_FILE = "id_map.parquet"  # same name and columns as the event path's
# Pseudonym prefixes as in the event path, so a customer and a lead id never collide.
_KINDS = {"lead_score": "lead", "churn": "customer", "repurchase": "customer"}


class TableFrames(NamedTuple):
    """What :func:`build_frames` returns: the two frames and the manifest (without counts)."""

    training: pd.DataFrame
    scoring: pd.DataFrame
    manifest: dict
    id_map: pd.DataFrame | None = None
    """raw id -> pseudonym (operator-private), when the spec names an id column."""


def build_from_spec(
    spec: DatasetSpec, *, out: Path, table_path: Path | None = None, progress: bool = False
) -> dict:
    """Build and write ``OUT/<task>.parquet``, ``OUT/<task>.scoring.parquet``, ``manifest.json``.

    Parameters
    ----------
    spec : the validated dataset spec (see :func:`features.dataset_spec.load_dataset_spec`).
    out : output folder.
    table_path : table file overriding the spec's ``file``.
    progress : print what is being done.

    Returns
    -------
    dict
        The manifest as written.
    """
    from features.output import write_training_sets

    frames = build_frames(spec, table_path=table_path, progress=progress)
    if progress:
        _say(f"writing {len(frames.training)} training rows to {out}")
    extra = {} if frames.id_map is None else {ID_MAP_FILE: frames.id_map}
    return write_training_sets(
        Path(out),
        frames={spec.task: (frames.training, frames.scoring)},
        manifest=frames.manifest,
        extra_files=extra,
    )


def build_frames(
    spec: DatasetSpec,
    *,
    table_path: Path | None = None,
    key: bytes | None = None,
    progress: bool = False,
) -> TableFrames:
    """The training and scoring frames and the manifest, without writing anything.

    Parameters
    ----------
    spec : the validated dataset spec.
    table_path : table file overriding the spec's ``file``.
    key : pseudonym key for the id column; default :func:`features.privacy.load_key`.
    progress : print what is being done.
    """
    path = resolve_table_path(spec, table_path)
    if progress:
        _say(f"reading {path}")
    table = read_table(path, spec)
    check_columns(spec, table, path)
    labelled, label = parse_label(spec, table, path)
    dated = _dates(spec, table, path)
    as_of, as_of_from = _table_as_of(spec, dated)
    everyone = pd.Series(True, index=table.index)
    in_range = everyone if dated is None else dated <= pd.Timestamp(as_of)

    roles = feature_roles(spec, table)
    frame = pd.DataFrame(index=table.index)
    frame[ENTITY_ID] = _entity_ids(spec, table, path, key)
    stamps = pd.Series(pd.Timestamp(as_of), index=table.index)
    if dated is not None:
        stamps = _period_end(dated, spec.date_period).clip(upper=pd.Timestamp(as_of))
    frame[AS_OF] = stamps.astype("datetime64[us]")
    for column, kind in roles.features.items():
        frame[column] = feature_column(table[column], kind, spec, path)
    for name, values in sensitive_columns(spec, table).items():
        frame[name] = values

    scoring = frame[in_range].reset_index(drop=True)
    training = frame[in_range & labelled].copy()
    training[LABEL] = label[training.index].astype("int64")
    check_classes(spec, training[LABEL], path)
    if dated is None:
        training[SPLIT] = random_split(training[LABEL], spec)
    training = training.reset_index(drop=True)

    inputs = {path.name: sha256_file(path)}
    manifest = _manifest(spec, roles, training, inputs, as_of=as_of, as_of_from=as_of_from)
    manifest["quality"] = {
        "rows": len(table),
        "unlabeled_rows": int((~labelled).sum()),
        # Every value other than the positive one counts as negative: shown so a stray
        # "pending" or "unknown" is visible in the manifest rather than silently a 0.
        "label_values": value_counts(table[spec.label.column]),
        "future_rows": int((~in_range).sum()),
        "excluded_columns": roles.excluded,
        "unused_columns": roles.unused,
    }
    manifest["id_map_file"], manifest["private_files"] = None, []
    if spec.id_column is None:
        return TableFrames(training, scoring, manifest)
    manifest["id_map_file"] = ID_MAP_FILE
    manifest["private_files"] = [ID_MAP_FILE]
    manifest["privacy"] = (
        f"entity_id is a keyed HMAC pseudonym of '{spec.id_column}'; {ID_MAP_FILE} maps raw "
        "ids to pseudonyms: operator-private, never log it to MLflow or share it"
    )
    id_map = pd.DataFrame(
        {
            "pseudonym": frame[ENTITY_ID],
            "raw_id": table[spec.id_column].astype("string").str.strip(),
            "canonical_id": table[spec.id_column].astype("string").str.strip(),
            "kind": _KINDS.get(spec.task, "customer"),
        }
    ).astype("string")
    return TableFrames(training, scoring, manifest, id_map.reset_index(drop=True))


# --- reading and checking -------------------------------------------------------------------


def _dates(spec: DatasetSpec, table: pd.DataFrame, path: Path) -> pd.Series | None:
    if spec.date_column is None:
        return None
    return parse_dates(table[spec.date_column], spec=spec, file=path.name)


def _period_end(dated: pd.Series, period: str) -> pd.Series:
    """Each date moved to the end of its period: the time split then holds out whole periods,
    and as_of never falls before the row's own date (no point-in-time violation)."""
    if period == "day":
        return dated
    code = {"week": "W", "month": "M", "quarter": "Q"}[period]
    return dated.dt.to_period(code).dt.end_time.dt.normalize()


def _table_as_of(spec: DatasetSpec, dated: pd.Series | None) -> tuple[date, str]:
    if spec.as_of is not None:
        return spec.as_of, "spec"
    if dated is not None:
        return dated.max().date(), "latest date"
    return date.today(), "today"


def _entity_ids(
    spec: DatasetSpec, table: pd.DataFrame, path: Path, key: bytes | None
) -> pd.Series:
    if spec.id_column is None:
        # Row numbers are not personal data: kept readable so scores join back to the file.
        rows = [f"row-{i}" for i in range(1, len(table) + 1)]
        return pd.Series(rows, index=table.index, dtype="string")
    ids = table[spec.id_column].astype("str").str.strip()
    empty = table[spec.id_column].isna() | (ids == "")
    where = f"{spec.source}: key 'id_column': column '{spec.id_column}' of {path.name}"
    if empty.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(empty)[:5])
        raise DataQualityError(f"{where}: {int(empty.sum())} empty ids (data rows {rows})")
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        examples = ", ".join(repr(v) for v in dup.unique()[:5])
        raise DataQualityError(
            f"{where}: expected one row per id, found {dup.nunique()} duplicated ids "
            f"({len(dup)} rows), e.g. {examples}"
        )
    from features.privacy import load_key, pseudonymize

    kind = _KINDS.get(spec.task)
    return pseudonymize(ids, key=key if key is not None else load_key(), kind=kind)


# --- manifest ---------------------------------------------------------------------------------


def _manifest(
    spec: DatasetSpec,
    roles: FeatureRoles,
    training: pd.DataFrame,
    inputs: dict,
    *,
    as_of,
    as_of_from,
) -> dict:
    features = []
    for column, kind in roles.features.items():
        words = humanise(str(column)).lower()
        default = f"{words} is {{value:g}}" if kind == "numeric" else f"{words} is {{value}}"
        entry = {
            "name": column,
            "kind": kind,
            "description": spec.descriptions.get(column, humanise(str(column))),
            "phrase": spec.phrases.get(column, default),
        }
        if column in spec.monotone:
            entry["monotone"] = spec.monotone[column]
        features.append(entry)
    described = spec.model_dump(mode="json", exclude={"file"})
    payload = {"inputs": inputs, "spec": described, "feature_version": FEATURE_VERSION}
    data_hash = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    time_based = spec.date_column is not None
    manifest = {
        "feature_version": FEATURE_VERSION,
        "source": "single_table",
        "as_of": as_of.isoformat(),
        "as_of_from": as_of_from,
        "split": "time" if time_based else "random",
        "timezone": None,
        "data_hash": data_hash,
        "inputs": inputs,
        "spec_file": spec.source,
        "merge_map_file": None,
        "tasks": {
            spec.task: {
                "file": f"{spec.task}.parquet",
                "scoring_file": f"{spec.task}.scoring.parquet",
                "window_days": None,
                "label_column": spec.label.column,
                "label_positive": spec.label.positive,
                "split_column": None if time_based else SPLIT,
                "features": features,
                "sensitive": [c for c in training.columns if c.startswith(SENSITIVE_PREFIX)],
                "drop_after_outcome": list(spec.known_after_outcome),
                "dropped": list(spec.drop),
            }
        },
    }
    if not time_based:
        manifest["evaluation_note"] = RANDOM_NOTE
        manifest["split_seed"] = spec.split.seed
        manifest["split_sizes"] = {"test": spec.split.test_size, "valid": spec.split.valid_size}
    return manifest


def _say(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, soft_wrap=True).print(f"[dim]{message}[/]", highlight=False)
