"""Which raw columns a model reads, and the known business direction of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crmml.errors import CrmmlError

SENSITIVE_PREFIX = "sensitive__"
_KINDS = ("numeric", "categorical")


@dataclass(frozen=True)
class FeatureSpec:
    """The raw input columns of a model, in model input order (numeric first).

    Parameters
    ----------
    numeric, categorical : tuple of str
        Raw column names. Numerics arrive as float (NaN allowed), categoricals as strings
        (None/NaN allowed).
    monotone : dict of str to int
        Feature -> -1/0/1, the known direction of the feature on the positive-class risk.
        Only numeric features may carry a non-zero direction.
    """

    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    monotone: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "numeric", tuple(self.numeric))
        object.__setattr__(self, "categorical", tuple(self.categorical))
        object.__setattr__(self, "monotone", {str(k): int(v) for k, v in self.monotone.items()})
        problems = []
        names = self.numeric + self.categorical
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"feature spec: duplicate feature names {dupes}")
        if not names:
            problems.append("feature spec: no features (expected at least one)")
        for name, direction in self.monotone.items():
            if direction not in (-1, 0, 1):
                problems.append(f"monotone[{name!r}]: expected -1, 0 or 1, found {direction}")
            elif name not in names:
                problems.append(f"monotone[{name!r}]: not a model feature")
            elif direction and name in self.categorical:
                problems.append(
                    f"monotone[{name!r}]: categorical features cannot be monotone "
                    f"(found {direction}, expected 0)"
                )
        if problems:
            raise CrmmlError(problems[0], problems=problems)

    @property
    def features(self) -> tuple[str, ...]:
        """All raw feature names in model input order."""
        return self.numeric + self.categorical

    def monotone_vector(self) -> list[int]:
        """Direction per feature in :attr:`features` order (0 when unknown)."""
        return [self.monotone.get(name, 0) for name in self.features]

    def with_monotone(self, overrides: Mapping[str, int]) -> FeatureSpec:
        """A copy whose monotone directions are overridden (e.g. from training config)."""
        return FeatureSpec(self.numeric, self.categorical, {**self.monotone, **overrides})

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "monotone": dict(self.monotone),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            tuple(data.get("numeric", ())),
            tuple(data.get("categorical", ())),
            dict(data.get("monotone", {})),
        )

    @classmethod
    def from_manifest(
        cls,
        task_manifest: Mapping[str, Any],
        *,
        allow_sensitive: bool = False,
        exclude: tuple[str, ...] = (),
    ) -> FeatureSpec:
        """Read the ``features`` list of one task entry of ``manifest.json``.

        ``sensitive__*`` columns are dropped unless ``allow_sensitive``; when allowed, the
        task's ``sensitive`` columns not already listed are added as categoricals.
        """
        entries = task_manifest.get("features")
        if not isinstance(entries, list):
            raise CrmmlError(
                "manifest task entry: key 'features' must be a list of feature entries, "
                f"found {type(entries).__name__}"
            )
        numeric: list[str] = []
        categorical: list[str] = []
        monotone: dict[str, int] = {}
        problems: list[str] = []
        for i, entry in enumerate(entries):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            kind = entry.get("kind") if isinstance(entry, Mapping) else None
            if not isinstance(name, str) or kind not in _KINDS:
                problems.append(
                    f"manifest features[{i}]: expected {{'name': str, 'kind': one of {_KINDS}}}, "
                    f"found {entry!r}"
                )
                continue
            if name in exclude or (name.startswith(SENSITIVE_PREFIX) and not allow_sensitive):
                continue
            (numeric if kind == "numeric" else categorical).append(name)
            if entry.get("monotone") is not None:
                monotone[name] = entry["monotone"]
        if allow_sensitive:
            for name in task_manifest.get("sensitive", []):
                if name not in numeric + categorical and name not in exclude:
                    categorical.append(name)
        known = {e.get("name") for e in entries if isinstance(e, Mapping)}
        known |= set(task_manifest.get("sensitive", []))
        unknown = sorted(set(exclude) - known)
        if unknown:
            problems.append(f"exclude: unknown features {unknown} (not in the manifest task)")
        if problems:
            raise CrmmlError(problems[0], problems=problems)
        return cls(tuple(numeric), tuple(categorical), monotone)
