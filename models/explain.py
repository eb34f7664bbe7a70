"""Per-raw-feature contributions on the raw log-odds scale, additive with a base value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

EXPLAINERS = {
    # coef x (encoded value - training mean), summed over a feature's bins / categories
    "scorecard": "linear",
    # change of node log-odds along the decision path, credited to the split feature
    "tree": "saabas",
    # LightGBM pred_contrib: TreeSHAP, path-dependent, on the raw score
    "lgbm": "tree_shap_path_dependent",
}


@dataclass(frozen=True)
class Contributions:
    """``values`` (n x n_features) + ``base_value`` == raw log-odds, per row."""

    values: np.ndarray
    base_value: float
    feature_names: list[str]
    explainer: str
    scale: str = "log-odds"


def contributions(pipeline: Pipeline, X: pd.DataFrame, *, family: str) -> Contributions:
    """Explain ``pipeline``'s raw score for the rows ``X`` per raw feature."""
    encoder, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    encoded = encoder.transform(X)
    per_column, base = model.raw_contributions(encoded, encoder)
    names = encoder.numeric_ + encoder.categorical_
    values = np.zeros((len(encoded), len(names)))
    # one-hot columns of a feature fold back onto that feature
    np.add.at(values.T, encoder.output_groups_, np.asarray(per_column).T)
    return Contributions(
        values=values,
        base_value=float(base),
        feature_names=[str(n) for n in names],
        explainer=EXPLAINERS[family],
    )
