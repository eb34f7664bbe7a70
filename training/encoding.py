"""Encoded training and validation matrices, computed once per encoder configuration.

Every tuning trial builds a new pipeline, but its encoder depends on few parameters (the
scorecard's ``n_bins``; none for the tree and LightGBM), so the trials of a family share the
encoded rows instead of encoding the same frames again each time. The scorecard's binned,
one-hot matrix is kept sparse: it is mostly zeros, and the linear solvers' cost and the
memory follow the non-zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import scipy.sparse
from sklearn.base import clone
from sklearn.pipeline import Pipeline

SPARSE_FAMILIES = ("scorecard",)
CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class Encoded:
    """A fitted encoder and the training (and validation) rows it encoded."""

    encoder: Any
    train: Any
    valid: Any = None


def is_sparse(pipeline: Pipeline) -> bool:
    """Whether the pipeline's estimator is fitted on a sparse (CSR) encoded matrix."""
    return getattr(pipeline.steps[-1][1], "family", None) in SPARSE_FAMILIES


def encode_rows(encoder, X: pd.DataFrame, *, sparse: bool):
    """``encoder.transform(X)``; as CSR when ``sparse``, encoded by row chunks.

    The encoding is row by row, so the chunks stack to the same matrix, without ever holding
    the whole dense one-hot matrix.
    """
    if not sparse:
        return encoder.transform(X)
    if len(X) == 0:
        return scipy.sparse.csr_matrix(encoder.transform(X))
    blocks = [
        scipy.sparse.csr_matrix(encoder.transform(X.iloc[start : start + CHUNK_ROWS]))
        for start in range(0, len(X), CHUNK_ROWS)
    ]
    return scipy.sparse.vstack(blocks, format="csr")


def encode(
    encoder, X_train: pd.DataFrame, y_train, X_valid: pd.DataFrame | None = None, *, sparse: bool
) -> Encoded:
    """Fit ``encoder`` on the training rows and encode them (and the validation rows)."""
    encoder.fit(X_train, y_train)
    valid = None if X_valid is None else encode_rows(encoder, X_valid, sparse=sparse)
    return Encoded(encoder, encode_rows(encoder, X_train, sparse=sparse), valid)


class EncodingCache:
    """Encoded training and validation rows per encoder configuration, fitted once each."""

    def __init__(self, X_train: pd.DataFrame, y_train, X_valid: pd.DataFrame):
        self._X_train, self._y_train, self._X_valid = X_train, y_train, X_valid
        self._encoded: dict[str, Encoded] = {}

    def get(self, pipeline: Pipeline) -> Encoded:
        """The rows encoded by a fitted copy of ``pipeline``'s encoder (its params are the key)."""
        encoder, sparse = pipeline.steps[0][1], is_sparse(pipeline)
        key = repr((type(encoder).__name__, sorted(encoder.get_params().items()), sparse))
        if key not in self._encoded:
            self._encoded[key] = encode(
                clone(encoder), self._X_train, self._y_train, self._X_valid, sparse=sparse
            )
        return self._encoded[key]
