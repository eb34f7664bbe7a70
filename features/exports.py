"""One CRM export in memory, as the data-quality gate hands it to the feature builder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from features.contract import ENTITY_TABLES


@dataclass
class Exports:
    """Canonical, typed and cleaned tables of one export folder.

    Tables hold canonical column names only (see :mod:`features.contract`). Id and text columns
    are pandas string dtype, numbers float64, dates ``datetime64`` at midnight (calendar dates in
    the configured time zone), booleans pandas ``boolean``. Future-dated rows, negative amounts
    and other rows the gate left out are already gone; duplicate customers are already merged
    (every ``customer_id`` anywhere is the canonical id, ``merge_map`` keeps raw -> canonical).

    Attributes
    ----------
    tables : canonical table name -> DataFrame (only the tables that were present).
    as_of : the export's cut-off date.
    merge_map : raw customer id -> canonical customer id, for merged duplicates only.
    entity_codes : what the gate's reference check found, read through :meth:`codes`:
        (table, id column) -> (the table as checked, each row's position in the entity table).
    file_hashes : file name -> sha256 of the file as read.
    quality : the JSON-ready summary of the data-quality report (counts of warnings by kind).
    source_dir : the folder the export was read from.
    """

    tables: dict[str, pd.DataFrame]
    as_of: date
    merge_map: dict[str, str] = field(default_factory=dict)
    entity_codes: dict[tuple[str, str], tuple[pd.DataFrame, np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    file_hashes: dict[str, str] = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    source_dir: str = ""

    def has(self, table: str) -> bool:
        return table in self.tables and len(self.tables[table]) > 0

    def get(self, table: str) -> pd.DataFrame | None:
        return self.tables.get(table)

    def codes(self, table: str, column: str) -> np.ndarray | None:
        """Each row's position in the customers (``customer_id``) or leads (``lead_id``)
        table, as the data-quality gate found them (-1: no id; read-only), or None when the
        gate did not look them up or ``tables[table]`` is not the table it checked any more
        (a table replaced after the gate is looked up afresh)."""
        entity = ENTITY_TABLES.get(column)
        for name, key in ((table, column), (entity, column)):
            checked, found = self.entity_codes.get((name, key), (None, None))
            df = self.tables.get(name)
            if found is None or df is not checked or len(df) != len(found):
                return None
        return self.entity_codes[(table, column)][1]
