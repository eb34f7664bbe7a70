"""Typed config of the serving stage (defaults here; ``configs/serving.yaml`` mirrors them)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmml.config import load_model

TASKS: tuple[str, ...] = ("churn", "repurchase", "lead_score")
CONFIG_ENV = "CRMML_SERVING_CONFIG"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """A score band: a score at or above ``min_score`` (and below the next band) gets ``name``."""

    name: str
    min_score: float = Field(ge=0, le=1)


class ServingConfig(_Strict):
    tasks: tuple[str, ...] = TASKS
    model_prefix: str = Field("crm-", description="registered name is <prefix><task with ->")
    alias: str = "champion"
    poll_seconds: float = Field(30.0, gt=0, description="how often the alias is checked")
    max_records: int = Field(1000, gt=0, description="records per request")
    max_body_bytes: int = Field(5_000_000, gt=0, description="larger bodies get 413")
    top_reasons: int = Field(3, ge=0)
    tiers: tuple[Tier, ...] = (
        Tier(name="high", min_score=0.6),
        Tier(name="medium", min_score=0.3),
        Tier(name="low", min_score=0.0),
    )
    log_predictions: bool = Field(True, description="JSONL under $CRMML_HOME/predictions/")
    batch_chunk_rows: int = Field(50_000, gt=0)

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if t not in TASKS]
        if bad:
            raise ValueError(f"unknown task(s) {bad}, expected some of {list(TASKS)}")
        return v

    @field_validator("tiers")
    @classmethod
    def _tiers_cover(cls, v: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if not v or min(t.min_score for t in v) > 0:
            raise ValueError("tiers must include a band with min_score 0 (every score needs one)")
        return tuple(sorted(v, key=lambda t: t.min_score, reverse=True))

    def model_name(self, task: str) -> str:
        """The registered model name of ``task`` (``lead_score`` -> ``crm-lead-score``)."""
        return f"{self.model_prefix}{task.replace('_', '-')}"


def load_serving_config(path: Path | None = None) -> ServingConfig:
    """Defaults overlaid with the YAML at ``path`` (or ``$CRMML_SERVING_CONFIG``)."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
        source_root = Path(__file__).resolve().parent.parent / path
        if not path.is_absolute() and not path.is_file() and source_root.is_file():
            path = source_root  # a bento's relative path, run from another directory
    return load_model(ServingConfig, path)
