"""Referential integrity: rows of unknown customers or leads are left out.

Finding a row's customer is a hash lookup of its id among the customers' ids: at a million
customers each lookup is a cache miss or two, and the 31 million ids of such an export take
seconds. The rule keeps what it finds, each row's position in the customers (or leads)
table, so the feature build reuses those positions instead of looking every id up again
(:attr:`features.exports.Exports.entity_codes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import ENTITY_TABLES, TABLES
from features.event_table import many_codes
from features.findings import Findings
from features.quality_checks import LeftOut

EntityCodes = dict[tuple[str, str], tuple[pd.DataFrame, np.ndarray]]
"""(table, id column) -> (the table as checked, each row's position in the entity table)."""


def _id_values(ids: pd.Series) -> pa.Array:
    values = pa.array(ids.astype("string"))
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def check_references(
    tables: dict[str, pd.DataFrame], findings: Findings, *, left: LeftOut
) -> EntityCodes:
    """Rows of unknown customers or leads are left out (a lead's unknown customer is unset).

    Drops every row ``left`` holds, and these. Returns, for each kept table and id column,
    every row's position in the customers or leads table (-1: no id). The entity tables must
    hold no rows left out, and distinct ids, as :func:`check_keys` and the merge of duplicate
    customers leave them.
    """
    left.drop(tables, [t for t in ENTITY_TABLES.values() if t in tables])
    known = {key: _id_values(tables[t][key]) for key, t in ENTITY_TABLES.items() if t in tables}
    found: EntityCodes = {}
    for key, name in ENTITY_TABLES.items():
        if name in tables:
            positions = np.arange(len(tables[name]), dtype=np.int64)
            positions.flags.writeable = False  # shared with the build: read-only
            found[(name, key)] = (tables[name], positions)
    looked_up = _look_up(tables, known)
    table_codes: dict[str, dict[str, np.ndarray]] = {}
    for name in list(tables):
        if name in ENTITY_TABLES.values():
            if (name, "customer_id") in looked_up:
                _unlink_unknown_customers(tables[name], looked_up[(name, "customer_id")],
                                          findings)  # fmt: skip
            continue
        df = tables[name]
        either = len(TABLES[name].entity_keys) > 1  # activities, campaign events: either or both
        if either:
            left.add(name, df["customer_id"].isna() & df["lead_id"].isna(), findings, "orphan",
                     "without customer_id or lead_id")  # fmt: skip
        table_codes[name] = {}
        for key in (k for k in TABLES[name].entity_keys if k in known):
            code = looked_up[(name, key)]
            unknown = code < 0
            if either:
                unknown &= df[key].notna().to_numpy(dtype=bool)
            left.add(name, unknown, findings, "orphan", f"of unknown {ENTITY_TABLES[key]}",
                     column=key)  # fmt: skip
            table_codes[name][key] = code
    kept = left.drop(tables)
    for name, by_key in table_codes.items():
        for key, code in by_key.items():
            if name in kept:
                code = code[kept[name]]
            code.flags.writeable = False  # shared with the build: read-only
            found[(name, key)] = (tables[name], code)
    return found


def _look_up(
    tables: dict[str, pd.DataFrame], known: dict[str, pa.Array]
) -> dict[tuple[str, str], np.ndarray]:
    """Each (table, id column)'s positions among the ``known`` ids of its key, every column of
    one key looked up together (one hash table of a million customers, not one per table)."""
    wanted = [(name, key) for name in tables for key in TABLES[name].entity_keys
              if key in known and ENTITY_TABLES[key] != name]  # fmt: skip
    found = {}
    for key, ids in known.items():
        columns = [(name, k) for name, k in wanted if k == key]
        lookups = many_codes(ids, [tables[name][key] for name, _ in columns])
        found.update(zip(columns, lookups, strict=True))
    return found


def _unlink_unknown_customers(leads: pd.DataFrame, code: np.ndarray, findings: Findings):
    ids = leads["customer_id"]
    unknown = ids.notna() & pd.Series(code < 0, index=leads.index)
    n = int(unknown.sum())
    if n:
        leads.loc[unknown, "customer_id"] = None
        findings.warn("orphan", f"{n} leads linked to unknown customers: link removed",
                      table="leads", column="customer_id", count=n,
                      action="set to missing")  # fmt: skip
