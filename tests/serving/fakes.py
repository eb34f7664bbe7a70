"""A tiny model with the ``CrmModel`` API, for unit tests of the plain scoring classes only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class _Contrib:
    values: np.ndarray
    base_value: float


class FakeModel:
    """log-odds = -1 + 0.02 * days_since_last_order - 0.5 * n_orders + 1 if plan == 'basic'."""

    family = "fake"
    feature_names = ["days_since_last_order", "n_orders", "plan"]
    categorical = ["plan"]
    metadata: dict = {}

    def contributions(self, X: pd.DataFrame) -> _Contrib:
        days = np.nan_to_num(X["days_since_last_order"].to_numpy(dtype=float))
        orders = np.nan_to_num(X["n_orders"].to_numpy(dtype=float))
        plan = (X["plan"].astype("str") == "basic").to_numpy(dtype=float)
        return _Contrib(np.column_stack([0.02 * days, -0.5 * orders, plan]), -1.0)

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        c = self.contributions(X)
        return c.values.sum(1) + c.base_value

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw_score(X)))

    def score_columns(self, columns: dict, *, explain: bool = False):
        frame = pd.DataFrame({c: list(columns[c]) for c in self.feature_names})
        return self.predict_proba(frame), (self.contributions(frame) if explain else None)


FEATURE_INFO = {
    "days_since_last_order": {
        "kind": "numeric",
        "description": "Days since the last paid order",
        "phrase": "no paid order in {value:.0f} days",
    },
    "n_orders": {"kind": "numeric", "description": "Paid orders in 365 days"},
    "plan": {"kind": "categorical", "description": "Plan", "phrase": "on the {value} plan"},
}


def record(eid: str = "c1", **over) -> dict:
    rec = {"entity_id": eid, "days_since_last_order": 120.0, "n_orders": 2, "plan": "basic"}
    rec.update(over)
    return rec
