"""The CRM export contract: canonical tables, their columns and what each column holds.

This module is the single source of truth for table and column names. Readers, the
data-quality gate, the feature builder and the sample-data generator all import from here.
See ``docs/export-contract.md`` for the user-facing description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "text", "category", "date", "number", "bool"]
Task = Literal["churn", "repurchase", "lead_score"]

TASKS: tuple[str, ...] = ("churn", "repurchase", "lead_score")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : canonical column name.
    kind : how the value is parsed (ids and text stay strings, dates become calendar dates).
    required : the column must be present when the table is present.
    nullable : empty cells are allowed; a required, non-nullable column that is entirely
        empty is a blocking problem.
    allowed : for categories, the canonical values (others are reported, not dropped).
    sensitive : used only for fairness audits, never as a model input by default.
    pii : personal data that never enters a training set (names, emails, phones).
    """

    name: str
    kind: ColumnKind
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] = ()
    sensitive: bool = False
    pii: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical table of the export."""

    name: str
    primary_key: str
    columns: tuple[Column, ...]
    event_date: str | None = None
    """The column that dates a row; rows dated after the as-of date are future-dated."""
    optional: bool = False
    """Optional tables only enrich features; no task needs them."""
    entity_keys: tuple[str, ...] = field(default=("customer_id",))
    """Columns that reference a customer or lead (referential integrity is checked on them)."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "date")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: ColumnKind, **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


ORDER_STATUSES = ("paid", "refunded", "cancelled")
LEAD_STATUSES = ("open", "converted", "disqualified")
CHANNELS = ("call", "email", "visit", "meeting", "wechat", "social")
EVENT_TYPES = ("email_open", "click", "like", "comment", "share", "qr_scan", "webinar")
SEGMENTS = ("b2b", "b2c")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            primary_key="customer_id",
            event_date="created_at",
            entity_keys=(),
            columns=(
                _c("customer_id", "id", required=True, nullable=False),
                _c("company_name", "text", pii=False),
                _c("industry", "category"),
                _c("region", "category"),
                _c("city", "category"),
                _c("company_size", "category"),
                _c("segment", "category", allowed=SEGMENTS),
                _c("created_at", "date"),
                _c("owner_id", "id"),
                _c("gender", "category", sensitive=True),
                _c("birth_year", "number", sensitive=True),
                _c("age_band", "category", sensitive=True),
            ),
        ),
        Table(
            "contacts",
            primary_key="contact_id",
            optional=True,
            columns=(
                _c("contact_id", "id", required=True, nullable=False),
                _c("customer_id", "id", required=True, nullable=False),
                _c("full_name", "text", pii=True),
                _c("title", "text"),
                _c("email", "text", pii=True),
                _c("phone", "text", pii=True),
                _c("is_decision_maker", "bool"),
            ),
        ),
        Table(
            "orders",
            primary_key="order_id",
            event_date="order_date",
            columns=(
                _c("order_id", "id", required=True, nullable=False),
                _c("customer_id", "id", required=True, nullable=False),
                _c("order_date", "date", required=True, nullable=False),
                _c("amount", "number", required=True, nullable=False),
                _c("product_category", "category"),
                _c("status", "category", allowed=ORDER_STATUSES),
            ),
        ),
        Table(
            "subscriptions",
            primary_key="subscription_id",
            event_date="start_date",
            optional=True,
            columns=(
                _c("subscription_id", "id", required=True, nullable=False),
                _c("customer_id", "id", required=True, nullable=False),
                _c("plan", "category"),
                _c("start_date", "date", required=True, nullable=False),
                _c("end_date", "date"),
                _c("monthly_fee", "number"),
                _c("cancelled_at", "date"),
            ),
        ),
        Table(
            "activities",
            primary_key="activity_id",
            event_date="activity_date",
            optional=True,
            entity_keys=("customer_id", "lead_id"),
            columns=(
                _c("activity_id", "id", required=True, nullable=False),
                _c("customer_id", "id"),
                _c("lead_id", "id"),
                _c("activity_date", "date", required=True, nullable=False),
                _c("channel", "category", required=True, allowed=CHANNELS),
                _c("direction", "category", allowed=("inbound", "outbound")),
                _c("outcome", "category"),
            ),
        ),
        Table(
            "tickets",
            primary_key="ticket_id",
            event_date="opened_at",
            optional=True,
            columns=(
                _c("ticket_id", "id", required=True, nullable=False),
                _c("customer_id", "id", required=True, nullable=False),
                _c("opened_at", "date", required=True, nullable=False),
                _c("closed_at", "date"),
                _c("priority", "category"),
                _c("category", "category"),
                _c("satisfaction", "number"),
            ),
        ),
        Table(
            "leads",
            primary_key="lead_id",
            event_date="created_at",
            entity_keys=("customer_id",),
            columns=(
                _c("lead_id", "id", required=True, nullable=False),
                _c("created_at", "date", required=True, nullable=False),
                _c("source", "category"),
                _c("company_name", "text"),
                _c("industry", "category"),
                _c("region", "category"),
                _c("company_size", "category"),
                _c("job_title", "text"),
                _c("owner_id", "id"),
                _c("status", "category", required=True, allowed=LEAD_STATUSES),
                _c("converted_at", "date", required=True),
                _c("customer_id", "id"),
            ),
        ),
        Table(
            "campaign_events",
            primary_key="event_id",
            event_date="event_time",
            optional=True,
            entity_keys=("customer_id", "lead_id"),
            columns=(
                _c("event_id", "id", required=True, nullable=False),
                _c("customer_id", "id"),
                _c("lead_id", "id"),
                _c("event_time", "date", required=True, nullable=False),
                _c("event_type", "category", required=True, allowed=EVENT_TYPES),
                _c("campaign_id", "id"),
            ),
        ),
    )
}

ENTITY_TABLES = {"customer_id": "customers", "lead_id": "leads"}
"""The table whose rows each entity id column refers to."""

# Which tables each task needs. churn and repurchase also use `customers` when present, but
# an orders-only export works: customers are then derived from the orders.
TASK_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "churn": ("orders",),
    "repurchase": ("orders",),
    "lead_score": ("leads",),
}

SENSITIVE_PREFIX = "sensitive__"
ENTITY_ID = "entity_id"
AS_OF = "as_of"
LABEL = "label"
FEATURE_VERSION = "1"
"""Bumped whenever feature code changes what a feature means; recorded in the manifest and
on every model, so a scoring set built by other feature code is refused."""


def buildable_tasks(present_tables: set[str]) -> list[str]:
    """Tasks whose required tables are all present."""
    return [t for t in TASKS if set(TASK_REQUIREMENTS[t]) <= present_tables]
