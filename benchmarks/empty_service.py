"""The framework's ceiling for ``benchmarks/serving.py``: a BentoML endpoint that only parses.

Same route and body as ``crmml serve``'s ``/predict/churn`` (``{"records": [...],
"explain": ...}``), a sync API like crmml's, and an answer of the same shape, but no model.
"""

from __future__ import annotations

from typing import Any

import bentoml


@bentoml.service(name="empty")
class EmptyService:
    @bentoml.api(route="/predict/churn")
    def predict(self, records: list[dict[str, Any]], explain: bool = True) -> dict:
        """Echo one constant prediction per record."""
        return {"predictions": [{"entity_id": r.get("entity_id"), "score": 0.5} for r in records]}
