"""A synthetic input example for the logged model: never a real customer row.

Each value is drawn from per-column summaries of the training rows (quantiles of numerics,
frequent levels of categoricals), column by column, so no row of the example exists in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_example(
    frame: pd.DataFrame,
    *,
    numeric: list[str],
    categorical: list[str],
    rows: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """``rows`` made-up rows with the model's input columns and dtypes.

    Numerics: a quantile between the 10th and 90th percentile, rounded and jittered.
    Categoricals: one of the three most frequent levels. Columns are shuffled independently.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {}
    for name in numeric:
        values = pd.to_numeric(frame[name], errors="coerce").dropna()
        if values.empty:
            out[name] = np.full(rows, np.nan)
            continue
        qs = values.quantile(np.linspace(0.1, 0.9, rows)).to_numpy(dtype=float)
        spread = float(values.std() or 1.0) * 0.05
        jitter = rng.normal(0.0, spread, rows)
        col = np.round(qs + jitter, 2)
        if (values >= 0).all():
            col = np.abs(col)
        out[name] = rng.permutation(col).astype("float64")
    for name in categorical:
        levels = frame[name].dropna().astype(str).value_counts().index[:3].tolist() or ["unknown"]
        out[name] = pd.array(rng.choice(levels, rows).tolist(), dtype="string")
    return pd.DataFrame(out, columns=[*numeric, *categorical])
