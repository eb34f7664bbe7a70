"""pandera schemas of the cleaned tables: what the gate promises the feature builder.

The gate itself reports user problems as findings; these schemas check the gate's *output*
(column set, dtypes, no missing keys), so a bug in the cleaning code fails loudly instead of
reaching the features. Validation runs on the first rows only: dtypes are per column, and the
row-level rules were already applied by the gate.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from features.contract import TABLES

_DTYPES = {"date": "datetime64[us]", "number": "float64", "bool": "boolean"}
_SAMPLE_ROWS = 10_000


def _is_text(series: pd.Series) -> bool:
    values = series
    if isinstance(series.dtype, pd.CategoricalDtype):  # an event table's categories
        values = series.cat.categories
    return pd.api.types.is_string_dtype(values.dtype) and values.dtype != object


def contract_schema(table: str) -> pa.DataFrameSchema:
    """The cleaned form of a canonical table: every contract column, typed, keys present."""
    columns = {}
    for col in TABLES[table].columns:
        nullable = col.nullable
        dtype = _DTYPES.get(col.kind)
        checks = [] if dtype else [pa.Check(_is_text, element_wise=False, error="string dtype")]
        columns[col.name] = pa.Column(dtype, checks=checks, nullable=nullable)
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name=table)


def check_clean_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Raise if a cleaned table breaks its schema (a programming error, not a data problem)."""
    for name, frame in tables.items():
        contract_schema(name).validate(frame.head(_SAMPLE_ROWS), lazy=True)
