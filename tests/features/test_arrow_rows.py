"""take_rows equals pa.Table.from_pandas of the taken rows, schema metadata included."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from features.arrow_rows import take_rows


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "entity_id": pd.array([f"p{i}" if i % 7 else None for i in range(n)], "string"),
            "as_of": pd.Timestamp("2026-06-30").as_unit("ns"),
            "amount": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
            "count": rng.integers(0, 5, n).astype("float64"),  # no NaN: no bitmap
            "empty": np.full(n, np.nan),
            "plan": pd.array(rng.choice(["a", "b", None], n), dtype="string"),
            "label": rng.integers(0, 2, n),
            "flag": rng.random(n) > 0.5,
            "when": pd.Series(pd.to_datetime(["2026-01-02", None] * (n // 2))).astype("M8[ns]"),
            "text": pd.Series([["x", None, "y"][i % 3] for i in range(n)], dtype="str"),
        }
    )


@pytest.mark.parametrize("rows", [[0, 3, 4, 9, 17], [], list(range(40))])
def test_equals_from_pandas_of_the_taken_rows(rows):
    frame = _frame(40)
    rows = np.asarray(rows, dtype=np.int64)
    schema = pa.Table.from_pandas(frame, preserve_index=False).schema
    got = take_rows(frame, rows, schema)
    want = pa.Table.from_pandas(frame.iloc[rows], preserve_index=False)
    assert got.equals(want, check_metadata=True)
    assert got.column("amount").null_count == int(np.isnan(frame["amount"].to_numpy()[rows]).sum())
    pd.testing.assert_frame_equal(got.to_pandas(), frame.iloc[rows].reset_index(drop=True))
