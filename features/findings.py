"""What the data-quality gate found: blocking problems, warnings (with what was done) and notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Finding:
    """One warning: what was found, where, how many rows, and what the gate did about it."""

    kind: str
    message: str
    table: str | None = None
    column: str | None = None
    count: int = 0
    action: str = "reported"


@dataclass
class Findings:
    """Collector the readers and checks append to."""

    blocking: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    info: list[str] = field(default_factory=list)

    def block(self, message: str) -> None:
        self.blocking.append(message)

    def warn(
        self,
        kind: str,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        count: int = 0,
        action: str = "reported",
    ) -> None:
        self.warnings.append(Finding(kind, message, table, column, int(count), action))

    def note(self, message: str) -> None:
        self.info.append(message)

    def counts_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(w.kind for w in self.warnings).items()))

    def warnings_json(self) -> list[dict]:
        return [asdict(w) for w in self.warnings]
