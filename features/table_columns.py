"""Which columns of a single table become features, and how they are typed.

Explicit ``categorical``/``numeric`` lists win; otherwise kinds are inferred from dtypes (ids,
free text and dates are left out, with the reason recorded in the manifest). A column listed
under ``sensitive`` is not a feature unless a feature list names it too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from crmml.errors import ConfigError, DataQualityError
from features.contract import AS_OF, ENTITY_ID, LABEL, SENSITIVE_PREFIX
from features.dataset_spec import DatasetSpec

SPLIT = "split"
RESERVED = {ENTITY_ID, AS_OF, LABEL, SPLIT}


def check_columns(spec: DatasetSpec, table: pd.DataFrame, path: Path) -> None:
    """Every column the spec names is in the table; else one problem per column, with a hint."""
    from rapidfuzz import process

    named: list[tuple[str, str]] = [("label.column", spec.label.column)]
    named += [
        (k, c) for k, c in (("id_column", spec.id_column), ("date_column", spec.date_column))
    ]
    for key in ("categorical", "numeric", "known_after_outcome", "drop"):
        named += [(key, c) for c in getattr(spec, key) or []]
    for key in ("sensitive", "descriptions", "phrases", "monotone"):
        named += [(key, c) for c in getattr(spec, key)]
    problems = []
    for key, column in named:
        if column is None or column in table.columns:
            continue
        near = process.extractOne(column, list(table.columns), score_cutoff=70)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        problems.append(
            f"{spec.source}: key '{key}': column '{column}' not in table {path.name} "
            f"(columns: {', '.join(map(str, table.columns))}){hint}"
        )
    if problems:
        raise ConfigError(f"{spec.source}: columns not in {path.name}", problems=problems)


class FeatureRoles(NamedTuple):
    """The kind of each feature column, and the columns left out (with why)."""

    features: dict[str, str]  # column -> numeric | categorical, in table order
    excluded: dict[str, str]  # inferred-out column -> reason
    unused: list[str]  # not named anywhere when both feature lists are explicit


def feature_roles(spec: DatasetSpec, table: pd.DataFrame) -> FeatureRoles:
    """Feature columns and kinds: explicit lists first, the rest inferred from dtypes."""
    taken = {spec.id_column, spec.label.column, spec.date_column, *spec.sensitive}
    taken |= set(spec.known_after_outcome) | set(spec.drop)
    explicit = {c: "categorical" for c in spec.categorical or []}
    explicit |= {c: "numeric" for c in spec.numeric or []}
    features, excluded, unused = {}, {}, []
    for column in table.columns:
        if column in explicit:
            features[column] = explicit[column]
        elif column in taken:
            continue
        elif spec.categorical is not None and spec.numeric is not None:
            unused.append(column)
        else:
            kind, reason = _infer_kind(table[column], len(table))
            wanted = "numeric" if spec.numeric is None else "categorical"
            if spec.categorical is None and spec.numeric is None:
                wanted = kind
            if reason:
                excluded[column] = reason
            elif kind == wanted:
                features[column] = kind
            else:
                unused.append(column)
    bad = [c for c in features if c in RESERVED or str(c).startswith(SENSITIVE_PREFIX)]
    if bad:
        raise ConfigError(
            f"{spec.source}: column(s) {', '.join(map(repr, bad))} clash with the names of the "
            f"training-set layout ({', '.join(sorted(RESERVED))}, {SENSITIVE_PREFIX}*); "
            f"list them under 'drop'"
        )
    if not features:
        raise ConfigError(
            f"{spec.source}: no feature columns left (keys 'categorical'/'numeric', or columns "
            f"not named elsewhere); excluded: {excluded or 'none'}"
        )
    return FeatureRoles(features, excluded, unused)


def _infer_kind(values: pd.Series, rows: int) -> tuple[str, str]:
    """(kind, reason to exclude or '') for a column whose kind the spec does not give."""
    if values.isna().all():
        return "numeric", "empty column"
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return "numeric", ""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "categorical", "a date (name it as date_column to split by time)"
    distinct = values.nunique()
    if distinct > max(100, rows // 2):
        return "categorical", f"{distinct} distinct values: looks like an id or free text"
    return "categorical", ""


def feature_column(values: pd.Series, kind: str, spec: DatasetSpec, path: Path) -> pd.Series:
    """A feature as the layout types it: float64 numbers or pandas ``string`` categories."""
    if kind == "numeric":
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            return values.astype("float64")
        text = _text(values)
        number = pd.to_numeric(
            text.str.replace(spec.read.decimal, ".", regex=False), errors="coerce"
        )
        bad = text[text.notna() & number.isna()]
        if len(bad):
            examples = ", ".join(map(repr, bad.unique()[:5]))
            raise DataQualityError(
                f"{spec.source}: key 'numeric': column '{values.name}' of {path.name}: expected "
                f"numbers, found {len(bad)} other values, e.g. {examples}"
            )
        return number.astype("float64")
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")  # 5.0 -> "5": codes read back as the user wrote them
    return _text(values)


def sensitive_columns(spec: DatasetSpec, table: pd.DataFrame) -> dict[str, pd.Series]:
    """``sensitive__<name>`` (or ``sensitive__<name>_band`` when binned) -> string groups."""
    out = {}
    for column, how in spec.sensitive.items():
        name = SENSITIVE_PREFIX + snake(column)
        if how.bins is None:
            values = _text(table[column])
        else:
            name += "_band"
            number = pd.to_numeric(table[column], errors="coerce")
            # Left-closed bands, so age 25 falls in "25-60" and 60 in ">60".
            values = pd.cut(number, bins=how.bins, labels=how.labels, right=False)
            values = values.astype("string")
        # Fairness audits need a group for every row: missing values form their own.
        out[name] = values.fillna("unknown")
    return out


def snake(column: str) -> str:
    """A safe lower-case name for a ``sensitive__`` column."""
    return re.sub(r"\W+", "_", str(column)).strip("_").lower() or "column"


def _text(values: pd.Series) -> pd.Series:
    """Stripped pandas ``string`` values, empty cells missing (pd.NA)."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")
