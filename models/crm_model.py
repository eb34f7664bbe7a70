"""The loaded-model interface (docs/interfaces.md) around a fitted pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from crmml.errors import CrmmlError
from models.explain import Contributions, contributions, encoded_contributions
from models.spec import FeatureSpec

__all__ = ["Contributions", "CrmModel"]


class CrmModel:
    """A fitted pipeline with its family, feature spec and metadata.

    Built by :func:`models.load_model_dir` from saved data, or with :meth:`from_pipeline`
    straight after training; both give the same numbers.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        family: str,
        spec: FeatureSpec,
        metadata: dict[str, Any] | None = None,
    ):
        self.pipeline = pipeline
        self.family = family
        self.spec = spec
        self.metadata = dict(metadata or {})

    @classmethod
    def from_pipeline(
        cls, pipeline: Pipeline, *, metadata: dict[str, Any] | None = None
    ) -> CrmModel:
        return cls(
            pipeline,
            family=pipeline_family(pipeline),
            spec=pipeline_spec(pipeline),
            metadata=metadata,
        )

    @property
    def feature_names(self) -> list[str]:
        return list(self.spec.features)

    @property
    def categorical(self) -> list[str]:
        return list(self.spec.categorical)

    def _rows(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise CrmmlError(f"model input: expected a pandas DataFrame, found {type(X).__name__}")
        missing = [c for c in self.feature_names if c not in X.columns]
        if missing:
            raise CrmmlError(
                f"model input: missing feature column(s) {missing}; expected {self.feature_names}"
            )
        return X[self.feature_names]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated P(label = 1) per row, shape (n,)."""
        rows = self._rows(X)
        if rows.empty:  # scikit-learn estimators refuse zero rows
            return np.empty(0)
        return self.pipeline.predict_proba(rows)[:, 1]

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds per row, shape (n,)."""
        rows = self._rows(X)
        if rows.empty:
            return np.empty(0)
        encoded = self.pipeline.steps[0][1].transform(rows)
        return self.pipeline.steps[-1][1].raw_score(encoded)

    def contributions(self, X: pd.DataFrame) -> Contributions:
        """Per raw feature, raw log-odds scale; ``values.sum(1) + base_value == raw_score``."""
        rows = self._rows(X)
        if rows.empty:
            # the base value does not depend on the rows: explain one all-missing row
            blank = pd.DataFrame({c: [np.nan] for c in self.spec.numeric})
            blank = blank.assign(**{c: [None] for c in self.spec.categorical})
            one = contributions(self.pipeline, blank[self.feature_names], family=self.family)
            return replace(one, values=one.values[:0])
        return contributions(self.pipeline, rows, family=self.family)

    def score_columns(
        self, columns: Mapping[str, Sequence[Any]], *, explain: bool = False
    ) -> tuple[np.ndarray, Contributions | None]:
        """Calibrated P(label = 1) of already-checked columns, and their contributions.

        The online path: ``columns`` maps every feature to its values (numbers or ``None``;
        strings or ``None`` for categoricals), as :func:`serving.validation.validate_records`
        gives them. The rows are encoded once, with no DataFrame, for both the score and its
        explanation; the numbers equal :meth:`predict_proba` and :meth:`contributions`.
        """
        missing = [c for c in self.feature_names if c not in columns]
        if missing:
            raise CrmmlError(
                f"model input: missing feature column(s) {missing}; expected {self.feature_names}"
            )
        encoded = self.pipeline.steps[0][1].encode_columns(columns)
        if len(encoded) == 0:
            blank = pd.DataFrame({c: [] for c in self.feature_names})
            return np.empty(0), (self.contributions(blank) if explain else None)
        scores = self.pipeline.steps[-1][1].predict_proba(encoded)[:, 1]
        if not explain:
            return scores, None
        return scores, encoded_contributions(self.pipeline, encoded, family=self.family)

    def set_predict_threads(self, threads: int) -> None:
        """Threads each prediction may use (LightGBM; 0 = all cores; other families: one).

        Server workers keep the default 1 (they run side by side); batch scoring uses 0.
        """
        model = self.pipeline.steps[-1][1]
        model = getattr(model, "estimator_", model)
        if hasattr(model, "predict_threads"):
            model.predict_threads = int(threads)

    def use_native(self, cache: Path, *, compile: bool) -> str:
        """Score a LightGBM model's rows with its trees compiled to C (batch scoring only).

        ``compile`` allows compiling it now (seconds, once per version and machine, cached in
        ``cache``). Returns what happened, for the user; any other family stays as it is.
        """
        model = self.pipeline.steps[-1][1]
        model = getattr(model, "estimator_", model)
        if not hasattr(model, "native_"):
            return self.family
        from models.native import native_predictor

        threads = model.predict_threads
        model.native_, why = native_predictor(
            model.booster_, cache, compile=compile, threads=threads
        )
        return why

    def describe(self) -> dict[str, Any]:
        """Readable summary for reports: points table, rules text or importances."""
        encoder = self.pipeline.steps[0][1]
        return self.pipeline.steps[-1][1].describe(encoder)

    def __repr__(self) -> str:
        return f"CrmModel(family={self.family!r}, features={len(self.feature_names)})"


def pipeline_family(pipeline: Pipeline) -> str:
    model = pipeline.steps[-1][1]
    family = getattr(model, "family", None)
    if family is None:
        raise CrmmlError(
            f"pipeline: last step {type(model).__name__} is not a crmml model "
            "(build it with models.make_pipeline)"
        )
    return family


def pipeline_spec(pipeline: Pipeline) -> FeatureSpec:
    """The feature spec a fitted pipeline enforces (monotone only where LightGBM uses it)."""
    encoder, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    model = getattr(model, "estimator_", model)
    names = list(encoder.numeric_) + list(encoder.categorical_)
    constraints = getattr(model, "monotone_constraints", None) or ()
    monotone = {names[i]: int(v) for i, v in enumerate(constraints) if v}
    return FeatureSpec(tuple(encoder.numeric_), tuple(encoder.categorical_), monotone)
