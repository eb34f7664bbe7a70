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
    return encoded_contributions(pipeline, pipeline.steps[0][1].transform(X), family=family)


def encoded_contributions(
    pipeline: Pipeline, encoded: np.ndarray, *, family: str
) -> Contributions:
    """:func:`contributions` of rows the pipeline's encoder has already encoded."""
    encoder, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    per_column, base = model.raw_contributions(encoded, encoder)
    names = encoder.numeric_ + encoder.categorical_
    groups = encoder.output_groups_
    per_column = np.asarray(per_column)
    if len(groups) == len(names):  # one output column per feature (LightGBM): nothing to fold
        values = per_column
    else:  # one-hot columns of a feature fold back onto that feature
        values = np.zeros((len(encoded), len(names)))
        np.add.at(values.T, groups, per_column.T)
    return Contributions(
        values=values,
        base_value=float(base),
        feature_names=[str(n) for n in names],
        explainer=EXPLAINERS[family],
    )
