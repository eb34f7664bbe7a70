"""Typed config of the evaluation stage (defaults here; configs/evaluation.yaml mirrors them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crmml.config import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OperatingPointConfig(_Strict):
    """One operating threshold drives tiers, selection rates and the fairness metrics."""

    method: Literal["threshold", "capacity", "break_even"] = "capacity"
    threshold: float = Field(0.5, gt=0, lt=1, description="probability cut-off (method=threshold)")
    capacity: float = Field(0.2, gt=0, le=1, description="share contacted (method=capacity)")


class BusinessConfig(_Strict):
    cost_per_contact: float = Field(5.0, ge=0)
    value_per_success: float = Field(50.0, ge=0)
    contact_fraction: float = Field(0.1, gt=0, le=1, description="top k% for the ROI view")


class BootstrapConfig(_Strict):
    rounds: int = Field(1000, ge=0)
    seed: int = 0
    chunk: int = Field(50, gt=0, description="rounds per chunk: bounds memory at chunk x n")
    ci: float = Field(0.95, gt=0, lt=1)


class FairnessConfig(_Strict):
    use: Literal["assistive", "punitive"] = "assistive"
    sensitive: list[str] = Field(
        default_factory=list, description="attributes; empty: every sensitive__* column"
    )
    bins: dict[str, list[float]] = Field(
        default_factory=lambda: {"age": [0, 25, 35, 45, 55, 65, 200]},
        description="edges for continuous attributes (right-open); others: quintiles",
    )
    intersections: bool = True
    min_group_size: int = Field(30, ge=1)
    proxy_threshold: float = Field(0.3, gt=0, le=1, description="Cramér's V that flags a proxy")
    continuous_min_unique: int = Field(
        15, ge=2, description="a numeric attribute with more distinct values is binned"
    )

    @model_validator(mode="after")
    def _bins_sorted(self) -> FairnessConfig:
        for name, edges in self.bins.items():
            if len(edges) < 2 or sorted(edges) != list(edges):
                raise ValueError(f"bins.{name}: expected at least 2 increasing edges")
        return self


class ExplanationConfig(_Strict):
    top_reasons: int = Field(3, ge=1)
    sample_rows: int = Field(5, ge=0, description="reason-code examples in the report")
    max_rows: int = Field(5000, ge=10, description="rows explained (SHAP is the slow part)")


class MitigationConfig(_Strict):
    method: Literal["threshold_optimizer", "exponentiated_gradient"] = "threshold_optimizer"


class ModelCardConfig(_Strict):
    intended_use: str = "Rank customers for a retention / sales contact; a human decides."
    out_of_scope: list[str] = Field(
        default_factory=lambda: [
            "Decisions with legal or similarly significant effects on a person",
            "Pricing, credit or eligibility decisions",
            "Populations or markets not represented in the training exports",
        ]
    )
    limitations: list[str] = Field(
        default_factory=lambda: [
            "Trained on historical CRM exports: past contact policy shapes the labels",
            "Scores are probabilities for the prediction window, not individual certainty",
        ]
    )


class EvalConfig(_Strict):
    operating_point: OperatingPointConfig = OperatingPointConfig()
    business: BusinessConfig = BusinessConfig()
    bootstrap: BootstrapConfig = BootstrapConfig()
    fairness: FairnessConfig = FairnessConfig()
    explanations: ExplanationConfig = ExplanationConfig()
    mitigation: MitigationConfig = MitigationConfig()
    model_card: ModelCardConfig = ModelCardConfig()
    calibration_bins: int = Field(10, ge=2)


def load_eval_config(path: Path | None = None) -> EvalConfig:
    """Defaults overlaid with the YAML at ``path``; an unknown key is an error naming it."""
    return load_model(EvalConfig, path)
