"""Chosen rows of a pandas frame as an Arrow table, gathered column by column.

``pa.Table.from_pandas(frame.iloc[rows])`` copies each column twice: pandas gathers the rows,
then Arrow copies them again while it turns NaN into nulls. Here a float column is gathered
once by numpy and its validity bitmap is packed by numpy, which halves the time of the wide
per-snapshot training chunks (1M customers: 27 chunks of ~60 columns by ~570k rows).
Hand-written because neither pandas nor pyarrow offers a take straight into Arrow; the result
equals ``from_pandas`` of the taken rows (a test checks it, schema metadata included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowExtensionArray


def take_rows(frame: pd.DataFrame, rows: np.ndarray, schema: pa.Schema) -> pa.Table:
    """Rows at positions ``rows`` of ``frame`` as a table of ``schema``.

    ``schema`` is what ``pa.Table.from_pandas(frame, preserve_index=False)`` gives (its
    pandas metadata is kept, so the table reads back into the same dtypes); float64 NaN
    becomes null, as there.
    """
    arrays, indices = [], None
    for field in schema:
        col = frame[field.name]
        if col.dtype == np.float64:
            arrays.append(_floats(np.take(col.to_numpy(), rows)))
        elif isinstance(col.array, ArrowExtensionArray):  # Arrow strings: one Arrow take
            indices = pa.array(rows) if indices is None else indices
            arrays.append(pa.array(col.array).take(indices).cast(field.type))
        elif col.dtype.kind in "iub":  # plain numpy ints and bools hold no missing values
            arrays.append(pa.array(np.take(col.to_numpy(), rows)).cast(field.type))
        else:
            arrays.append(pa.array(col.take(rows), from_pandas=True).cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _floats(values: np.ndarray) -> pa.Array:
    """A float64 Arrow array over ``values`` (no copy) with NaN as null."""
    valid = ~np.isnan(values)
    nulls = len(values) - int(np.count_nonzero(valid))
    if not nulls:
        return pa.array(values)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.float64(), len(values), [bitmap, pa.py_buffer(values)], null_count=nulls
    )


def string_offsets(text: pa.Array) -> np.ndarray | None:
    """Where each value of a (large) string array starts in its data buffer, and where the
    last ends (``len + 1`` offsets, read in place); None for any other type."""
    if pa.types.is_large_string(text.type):
        width = np.int64
    elif pa.types.is_string(text.type):
        width = np.int32
    else:
        return None
    return np.frombuffer(text.buffers()[1], dtype=width)[text.offset : text.offset + len(text) + 1]
