"""Request validation against the served model's own feature list (it follows a model swap).

Plain Python over JSON values: one record costs microseconds here, a DataFrame costs
milliseconds. Every problem is reported as ``{"record", "field", "reason"}`` so a CRM
developer can fix the payload without reading our code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

_SENSITIVE = "sensitive__"
_BIG = 1e300
_ABSENT = object()  # a field missing from a record (``None`` is an explicit null)
# Counts and durations cannot be negative; the manifest's ``min`` overrides this name rule.
_NON_NEGATIVE = re.compile(r"(^n_|^num_|_count$|^count_|days_since|_days$|^tenure|_orders?$)")


@dataclass(frozen=True)
class FieldSpec:
    """What a feature accepts: kind, whether null is allowed, the smallest possible value."""

    name: str
    kind: str  # "numeric" | "categorical"
    nullable: bool = True
    minimum: float | None = None


@dataclass
class Problem:
    """One reason a request cannot be scored."""

    record: int | None
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "reason": self.reason}


@dataclass
class Validated:
    """Columns ready for the model (one list per feature) plus per-record ids and warnings."""

    entity_ids: list[str]
    columns: dict[str, list[Any]]
    warnings: list[list[str]] = field(default_factory=list)


class RequestInvalid(Exception):
    """The request cannot be scored; ``problems`` lists every record/field at fault (HTTP 422)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.record}/{p.field}: {p.reason}" for p in problems[:5]))
        self.problems = problems


def field_specs(
    feature_names: list[str], categorical: list[str], feature_info: dict[str, dict]
) -> list[FieldSpec]:
    """Build the accepted fields from the model's features and the manifest's descriptions."""
    cats = set(categorical)
    specs = []
    for name in feature_names:
        info = feature_info.get(name, {})
        kind = "categorical" if name in cats else "numeric"
        minimum = info.get("min")
        if minimum is None and kind == "numeric" and _NON_NEGATIVE.search(name):
            minimum = 0.0
        specs.append(
            FieldSpec(name, kind, nullable=bool(info.get("nullable", True)), minimum=minimum)
        )
    return specs


def _check_value(spec: FieldSpec, value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None if spec.nullable else "null is not allowed for this field"
    if spec.kind == "categorical":
        if not isinstance(value, str):
            return None, f"expected a string, found {type(value).__name__} {value!r}"
        return value, None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"expected a number, found {type(value).__name__} {value!r}"
    x = float(value) if -_BIG < value < _BIG else math.inf  # a 400-digit int overflows float
    if not math.isfinite(x):
        return None, f"expected a finite number, found {value!r}"
    if spec.minimum is not None and x < spec.minimum:
        return None, f"impossible value {value!r}: must be >= {spec.minimum:g}"
    return x, None


def validate_records(
    records: Any,
    specs: list[FieldSpec],
    *,
    max_records: int,
    feature_version: str | None = None,
) -> Validated:
    """Check ``records`` (the request's list of dicts) and turn them into model columns.

    Raises
    ------
    RequestInvalid
        Listing every missing field, wrong type, non-finite or impossible value.
    """
    if not isinstance(records, list) or not records:
        raise RequestInvalid([Problem(None, "records", "expected a non-empty list of objects")])
    if len(records) > max_records:
        raise RequestInvalid(
            [Problem(None, "records", f"{len(records)} records, at most {max_records} allowed")]
        )
    allowed = {s.name for s in specs} | {"entity_id", "feature_version"}
    problems: list[Problem] = []
    out = Validated(entity_ids=[], columns={s.name: [] for s in specs})
    fields = [(spec, out.columns[spec.name]) for spec in specs]
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            problems.append(Problem(i, None, f"expected an object, found {type(rec).__name__}"))
            continue
        eid = rec.get("entity_id")
        if isinstance(eid, bool) or not isinstance(eid, (str, int)) or eid == "":
            problems.append(Problem(i, "entity_id", f"expected a string id, found {eid!r}"))
        rec_version = rec.get("feature_version")
        if rec_version is not None and feature_version and str(rec_version) != feature_version:
            problems.append(
                Problem(
                    i,
                    "feature_version",
                    f"built by feature version {rec_version!r}, the model needs "
                    f"{feature_version!r}: rebuild the features with the matching crmml",
                )
            )
        for spec, column in fields:
            value = rec.get(spec.name, _ABSENT)
            kind = type(value)
            # Fast path (one record costs microseconds): a finite, possible number or a string.
            if spec.kind == "numeric" and (
                kind is float or (kind is int and -_BIG < value < _BIG)
            ):
                x = float(value)
                if x - x == 0.0 and (spec.minimum is None or x >= spec.minimum):
                    column.append(x)
                    continue
            elif kind is str and spec.kind == "categorical":
                column.append(value)
                continue
            if value is _ABSENT:
                problems.append(Problem(i, spec.name, "missing required field"))
                continue
            value, reason = _check_value(spec, value)
            if reason:
                problems.append(Problem(i, spec.name, reason))
            column.append(value)
        out.entity_ids.append(str(eid))
        extra = rec.keys() - allowed
        if not extra:
            out.warnings.append([])
            continue
        names = sorted(map(str, extra))
        out.warnings.append([f"ignored fields not used by the model: {names}"])
        if any(k.startswith(_SENSITIVE) for k in names):
            out.warnings[-1].append("sensitive attributes are never used for scoring")
    if problems:
        raise RequestInvalid(problems)
    return out
