"""Typed config of the features stage (defaults here; ``configs/features.yaml`` mirrors them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmml.config import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChurnConfig(_Strict):
    window_days: int = Field(90, gt=0, description="prediction window after the snapshot")
    lookback_days: int = Field(365, gt=0, description="a customer is active if they paid in it")
    include_subscriptions: bool = True
    definition: Literal["orders_or_subscription", "orders", "subscription_aware"] = Field(
        "orders_or_subscription",
        description="orders_or_subscription: no paid order in the window OR a subscription "
        "cancelled/ended without renewal in it; orders: no paid order only; subscription_aware: "
        "customers with a live subscription churn only when it ends, others when they stop paying",
    )
    renewal_grace_days: int = Field(
        30, ge=0, description="a subscription starting this soon after another ends renews it"
    )


class RepurchaseConfig(_Strict):
    window_days: int = Field(90, gt=0)
    recent_order_days: int = Field(180, gt=0, description="eligible: a paid order this recent")
    target_category: str | None = None


class LeadScoreConfig(_Strict):
    window_days: int = Field(60, gt=0)
    recent_days: int = Field(30, ge=0, description="leads created this recently and still open")


class QualityConfig(_Strict):
    duplicate_name_threshold: float = Field(92.0, ge=50, le=100, description="rapidfuzz score")
    stale_after_days: int = Field(30, gt=0, description="freshness warning threshold")
    max_duplicate_key_share: float = Field(
        0.5, gt=0, le=1, description="a primary key duplicated beyond this share blocks"
    )


class FeaturesConfig(_Strict):
    timezone: str = "Asia/Shanghai"
    lookbacks_days: tuple[int, ...] = (30, 90, 180, 365)
    snapshots: int = Field(12, gt=0)
    every: str = "1M"
    churn: ChurnConfig = ChurnConfig()
    repurchase: RepurchaseConfig = RepurchaseConfig()
    lead_score: LeadScoreConfig = LeadScoreConfig()
    quality: QualityConfig = QualityConfig()


def load_features_config(path: Path | None = None) -> FeaturesConfig:
    """Defaults overlaid with the YAML at ``path``; an unknown key is an error naming it."""
    return load_model(FeaturesConfig, path)
