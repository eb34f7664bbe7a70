"""Feature specs: name, kind, description, reason phrase and business direction, kept in one
registry beside the code that computes each feature so the manifest never drifts from it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FeatureSpec:
    """One feature column as the manifest describes it.

    Parameters
    ----------
    name : column name in the training set.
    kind : ``numeric`` (float64) or ``categorical`` (pandas string dtype).
    description : one line for reports.
    phrase : ``str.format`` template with ``{value}`` used by reason codes.
    monotone : task -> known direction (-1/0/1) of the feature on the positive-class risk.
    """

    name: str
    kind: str
    description: str
    phrase: str
    monotone: dict[str, int] = field(default_factory=dict)

    def manifest_entry(self, task: str) -> dict:
        entry = {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "phrase": self.phrase,
        }
        if task in self.monotone:
            entry["monotone"] = self.monotone[task]
        return entry


def num(name: str, description: str, phrase: str, **monotone: int) -> FeatureSpec:
    return FeatureSpec(name, "numeric", description, phrase, dict(monotone))


def cat(name: str, description: str, phrase: str) -> FeatureSpec:
    return FeatureSpec(name, "categorical", description, phrase)
