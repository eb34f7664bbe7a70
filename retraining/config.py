"""Typed config of retraining (defaults here; ``configs/retraining.yaml`` mirrors them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from crmml.config import load_model
from monitoring.drift import DriftPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LockConfig(_Strict):
    stale_after_seconds: float = Field(
        600.0, gt=0, description="a lease without heartbeat for this long is taken over"
    )


class RetrainConfig(_Strict):
    """What a retrain builds and trains; the approval policy comes from ``--policy``."""

    tasks: tuple[str, ...] = Field((), description="empty: every task the export allows")
    snapshots: int | None = Field(None, ge=1, description="None: the features config's count")
    every: str | None = Field(None, description="None: the features config's step")
    families: tuple[str, ...] = Field((), description="empty: the training config's families")
    trials: int | None = Field(None, ge=1, description="None: the training config's trials")
    seed: int | None = None
    lock: LockConfig = LockConfig()
    drift: DriftPolicy = DriftPolicy()


def load_retrain_config(path: Path | None = None) -> RetrainConfig:
    """Defaults overlaid with ``path``; unknown keys and bad values name the file and key."""
    return load_model(RetrainConfig, Path(path) if path else None)
