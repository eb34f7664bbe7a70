"""Score a new lead from its raw CRM row: ``{"leads": [...]}`` on ``/predict/lead_score``.

The rows are parsed with the export contract's column parsers and turned into features by
``features.build.snapshot_features`` at ``snapshot = created_at``: the batch builder's own
code, so there is no train/serve skew. Only the request's lead rows are known here, so
features from other tables are those of a brand-new lead (no activities or campaign events
yet; ``is_existing_customer`` is 0 because the customers table is not available online).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from serving.validation import Problem, RequestInvalid

_SKIP = ("as_of", "entity_key")


def lead_records(
    rows: Any, *, config: Any = None, max_records: int = 1000
) -> tuple[list[str], list[dict | None], str]:
    """Feature records for raw lead rows, in order (``None``: not an open lead).

    Returns the raw lead ids, the records (feature fields + pseudonymised ``entity_id``) and
    the feature version of the installed feature code.

    Raises
    ------
    RequestInvalid
        A row without ``lead_id``/``created_at`` or with an unreadable ``created_at``.
    """
    from features.build import snapshot_features
    from features.config import FeaturesConfig
    from features.contract import FEATURE_VERSION, SENSITIVE_PREFIX, TABLES
    from features.exports import Exports
    from features.parsing import parse_column
    from features.privacy import load_key, pseudonymize

    config = config or FeaturesConfig()
    if not isinstance(rows, list) or not rows:
        raise RequestInvalid([Problem(None, "leads", "expected a non-empty list of lead rows")])
    if len(rows) > max_records:
        raise RequestInvalid([Problem(None, "leads", f"{len(rows)} leads, at most {max_records}")])
    table = TABLES["leads"]
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(Problem(i, None, f"expected an object, found {type(row).__name__}"))
            continue
        for req in ("lead_id", "created_at"):
            if row.get(req) in (None, ""):
                problems.append(Problem(i, req, "missing required field"))
    if problems:
        raise RequestInvalid(problems)
    raw = pd.DataFrame(
        {
            c.name: pd.Series([_text(r.get(c.name)) for r in rows], dtype="str")
            for c in table.columns
        }
    )
    typed = {}
    for col in table.columns:
        parsed = parse_column(raw[col.name], col, tz=config.timezone)
        for i in parsed.unparseable[parsed.unparseable].index:
            problems.append(Problem(int(i), col.name, f"cannot read {rows[i].get(col.name)!r}"))
        typed[col.name] = parsed.values
    if problems:
        raise RequestInvalid(problems)
    leads = pd.DataFrame(typed)
    leads["status"] = leads["status"].fillna("open")  # a lead at creation is open
    ids = [str(x) for x in leads["lead_id"]]
    pseudo = list(pseudonymize(pd.Series(ids, dtype="string"), key=load_key(), kind="lead"))
    found: dict[int, dict] = {}
    for day, part in leads.groupby(leads["created_at"].dt.date, sort=True):
        exports = Exports(tables={"leads": part.reset_index(drop=True)}, as_of=day)
        frame = snapshot_features(exports, task="lead_score", snapshot=day, config=config)
        by_id = {str(k): rec for k, rec in zip(frame.index, frame.to_dict("records"), strict=True)}
        for pos in part.index:
            rec = by_id.get(ids[pos])
            if rec is None:
                continue
            clean = {
                k: _json(v)
                for k, v in rec.items()
                if k not in _SKIP and not k.startswith(SENSITIVE_PREFIX)
            }
            found[pos] = {"entity_id": str(pseudo[pos]), **clean}
    return ids, [found.get(i) for i in range(len(rows))], str(FEATURE_VERSION)


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _json(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v
