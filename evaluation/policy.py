"""The approval-gate policy: shipped defaults overlaid with a user file, unknown keys refused."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmml.config import load_model, read_yaml


class Policy(BaseModel):
    """Thresholds of the approval gate (see ``evaluation/default_policy.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_roc_auc: float = Field(ge=0, le=1)
    max_ece: float = Field(ge=0, le=1)
    min_parity_ratio: float = Field(ge=0, le=1)
    max_parity_difference: float = Field(ge=0, le=1)
    min_group_size: int = Field(ge=1)
    insufficient_groups: Literal["warn", "fail"]
    max_auc_drop_vs_champion: float = Field(ge=0, le=1)
    max_proxy_features: int | None = Field(None, ge=0)
    parity_evidence: Literal["point", "interval"] = "point"
    auto_approve: bool = False


def default_policy_path() -> Path:
    """The shipped default policy file (package data)."""
    return Path(str(resources.files("evaluation") / "default_policy.yaml"))


def load_policy(path: Path | None = None) -> Policy:
    """The shipped defaults overlaid with ``path``: keys it names override only those.

    Raises
    ------
    ConfigError
        The file is missing or not YAML, or a key is unknown or out of range (names the key).
    """
    base = read_yaml(default_policy_path())
    return load_model(Policy, Path(path) if path else None, base=base)
