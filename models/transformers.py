"""Raw CRM feature rows -> numeric matrix, with the fitted state kept as plain JSON data.

One encoder serves every family: numerics pass through (NaN kept, trees and LightGBM handle
it) or are cut into quantile bins and one-hot encoded (scorecard); categoricals get an
ordinal code from a JSON vocabulary (LightGBM; unseen or missing -> NaN, LightGBM's missing)
or one indicator column per known value plus one for missing (unseen -> all zeros).
Categories are encoded here, not as pandas ``category``, because ``category`` does not
survive a JSON payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from crmml.errors import CrmmlError

MISSING = "__missing__"
# Batches from this many values on are coded by pandas' hash table, smaller ones (the online
# path: one to a few records) by a dict lookup per value, which costs less to set up.
_HASHED_FROM = 2048
_MISSING_CODE = -2


def category_strings(values: Any) -> np.ndarray:
    """Categorical values as an object array of ``str`` with ``None`` for missing.

    Integral floats print without ``.0`` so that a column a JSON reader parsed as numbers
    ("1" -> 1.0) still matches the vocabulary learnt from strings.
    """
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    missing = series.isna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        out = series.to_numpy(dtype=object)  # pandas str dtype: already strings
    else:
        out = np.array([_text(v) for v in series.to_numpy(dtype=object)], dtype=object)
    out[missing] = None
    return out


def _is_arrow(values: Any) -> bool:
    return type(values).__module__.startswith("pyarrow")


def _arrow_codes(vocabulary: Sequence[str], values: Any) -> np.ndarray:
    """:meth:`FeatureEncoder._codes` of a pyarrow string array (same codes, a test checks)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(values, value_set=pa.array(list(vocabulary), type=values.type))
    codes = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes[values.is_null().to_numpy(zero_copy_only=False)] = _MISSING_CODE
    return codes


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def _numeric_values(column: Any, name: Any) -> np.ndarray:
    series = pd.Series(column)
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = series[np.isnan(values) & series.notna().to_numpy()]
        if len(bad):
            raise CrmmlError(
                f"column {name!r}: expected numbers, found {bad.iloc[0]!r} "
                f"({len(bad)} non-numeric value(s))"
            )
    # +-inf comes from an upstream division by zero: treat it as missing, like NaN.
    return np.where(np.isinf(values), np.nan, values)


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Encode raw feature rows (a DataFrame, or an array when names are not given).

    Parameters
    ----------
    numeric : tuple of str, optional
        Numeric columns; ``None`` means every column not in ``categorical``.
    categorical : tuple of str
        Categorical (string) columns.
    numeric_encoding : {"identity", "bins"}
    categorical_encoding : {"ordinal", "onehot"}
    n_bins : int
        Quantile bins per numeric column when ``numeric_encoding="bins"``.
    min_frequency : int
        Categories seen fewer times in training are treated as unseen.
    """

    def __init__(
        self,
        numeric: tuple[str, ...] | None = None,
        categorical: tuple[str, ...] = (),
        numeric_encoding: str = "identity",
        categorical_encoding: str = "ordinal",
        n_bins: int = 5,
        min_frequency: int = 1,
    ):
        self.numeric = numeric
        self.categorical = categorical
        self.numeric_encoding = numeric_encoding
        self.categorical_encoding = categorical_encoding
        self.n_bins = n_bins
        self.min_frequency = min_frequency

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = bool(self.categorical)
        return tags

    # -- input handling -------------------------------------------------------------------
    def _columns(self, X: Any, *, reset: bool) -> tuple[dict[Any, np.ndarray], list, list]:
        """Validate ``X`` and return its model columns by name, plus numeric/categorical names."""
        categorical = list(self.categorical)
        if isinstance(X, pd.DataFrame):
            if self.numeric is None:
                numeric = [c for c in X.columns if c not in categorical]
            else:
                numeric = list(self.numeric)
            wanted = numeric + categorical
            missing = [c for c in wanted if c not in X.columns]
            if missing:
                raise CrmmlError(
                    f"input rows: missing feature column(s) {missing}; expected {wanted}"
                )
            frame = X[wanted]
            validate_data(self, frame, reset=reset, skip_check_array=True)
            cols = {c: frame[c] for c in wanted}
        else:
            array = check_array(
                X, dtype=None if categorical else "numeric", ensure_all_finite="allow-nan"
            )
            validate_data(self, array, reset=reset, skip_check_array=True)
            numeric = [i for i in range(array.shape[1]) if i not in categorical]
            cols = {i: array[:, i] for i in range(array.shape[1])}
        if not reset and (numeric != self.numeric_ or categorical != self.categorical_):
            raise CrmmlError("input rows: feature columns differ from the ones seen in fit")
        values = {c: _numeric_values(cols[c], c) for c in numeric}
        values.update({c: category_strings(cols[c]) for c in categorical})
        return values, numeric, categorical

    # -- fit / transform ------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> FeatureEncoder:
        if self.numeric_encoding not in ("identity", "bins"):
            raise ValueError(
                f"numeric_encoding: expected identity|bins, found {self.numeric_encoding!r}"
            )
        if self.categorical_encoding not in ("ordinal", "onehot"):
            raise ValueError(
                "categorical_encoding: expected ordinal|onehot, "
                f"found {self.categorical_encoding!r}"
            )
        if int(self.n_bins) < 2:
            raise ValueError(f"n_bins: expected >= 2, found {self.n_bins}")
        values, numeric, categorical = self._columns(X, reset=True)
        self.numeric_, self.categorical_ = numeric, categorical
        self.bin_edges_ = {}
        if self.numeric_encoding == "bins":
            qs = np.linspace(0, 1, int(self.n_bins) + 1)[1:-1]
            for c in numeric:
                seen = values[c][~np.isnan(values[c])]
                edges = np.unique(np.quantile(seen, qs)) if len(seen) else np.array([])
                self.bin_edges_[c] = [float(e) for e in edges]
        self.vocabulary_ = {}
        self.__dict__.pop("_lookups_", None)
        for c in categorical:
            present = pd.Series(values[c]).dropna().value_counts()
            kept = present[present >= self.min_frequency].index
            self.vocabulary_[c] = sorted(str(v) for v in kept)
        self._set_layout()
        encoded = self.transform(X)
        with np.errstate(all="ignore"):
            mean = np.nanmean(encoded, axis=0) if len(encoded) else np.zeros(encoded.shape[1])
        self.encoded_mean_ = np.nan_to_num(mean, nan=0.0)
        return self

    def _set_layout(self) -> None:
        """Output column names and the raw feature (index) each output column comes from."""
        names: list[str] = []
        groups: list[int] = []
        for j, c in enumerate(self.numeric_ + self.categorical_):
            if c in self.bin_edges_:
                labels = [f"bin{k}" for k in range(len(self.bin_edges_[c]) + 1)] + [MISSING]
            elif c in self.vocabulary_ and self.categorical_encoding == "onehot":
                labels = list(self.vocabulary_[c]) + [MISSING]
            else:
                labels = [None]
            for label in labels:
                names.append(str(c) if label is None else f"{c}={label}")
                groups.append(j)
        self.output_names_ = names
        self.output_groups_ = np.asarray(groups, dtype=np.int64)

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        values, _, _ = self._columns(X, reset=False)
        return self._encode(values)

    def encode_columns(self, columns: Mapping[Any, Sequence[Any]]) -> np.ndarray:
        """Encode already-checked columns: the serving fast path (no pandas, no sklearn checks).

        ``columns`` maps every feature to a sequence of its values: numbers or ``None`` for a
        numeric feature (``None`` is missing), strings or ``None`` for a categorical one, as
        :func:`serving.validation.validate_records` produces them. Same numbers as
        :meth:`transform` on the same rows (a test checks it).
        """
        check_is_fitted(self, "vocabulary_")
        values = {}
        for c in self.numeric_:
            x = np.array(columns[c], dtype=np.float64)  # None -> NaN
            values[c] = np.where(np.isinf(x), np.nan, x)
        for c in self.categorical_:
            column = columns[c]
            values[c] = column if _is_arrow(column) else np.array(column, dtype=object)
        return self._encode(values)

    def _encode(self, values: dict[Any, np.ndarray]) -> np.ndarray:
        """Checked columns (floats with NaN, strings with None) -> the encoded matrix."""
        n = len(next(iter(values.values()))) if values else 0
        out = np.empty((n, len(self.output_names_)), dtype=np.float64)
        start = 0
        for c in self.numeric_:
            x = values[c]
            if c in self.bin_edges_:
                edges = np.asarray(self.bin_edges_[c], dtype=np.float64)
                width = len(edges) + 2
                index = np.searchsorted(edges, x, side="left")
                index[np.isnan(x)] = len(edges) + 1
                block = out[:, start : start + width]
                block.fill(0.0)
                block[np.arange(n), index] = 1.0
                start += width
            else:
                out[:, start] = x
                start += 1
        for c in self.categorical_:
            codes = self._codes(c, values[c])
            if self.categorical_encoding == "onehot":
                width = len(self.vocabulary_[c]) + 1
                block = out[:, start : start + width]
                block.fill(0.0)
                known = codes >= 0
                block[np.flatnonzero(known), codes[known]] = 1.0
                block[np.flatnonzero(codes == _MISSING_CODE), width - 1] = 1.0
                start += width
            else:
                out[:, start] = np.where(codes >= 0, codes, np.nan)  # unseen or missing: NaN
                start += 1
        return out

    def _codes(self, column: Any, values: np.ndarray) -> np.ndarray:
        """Vocabulary index per value; -1 unseen, ``_MISSING_CODE`` missing (``None``).

        ``values`` is an object array, or a pyarrow string array (batch scoring of Parquet or
        CSV: coded by Arrow's hash table without making a Python ``str`` per value).
        """
        if _is_arrow(values):
            return _arrow_codes(self.vocabulary_.get(column, []), values)
        if len(values) >= _HASHED_FROM:
            # pandas' hash table: ~25x faster than a dict lookup per value on a big batch
            vocabulary = pd.Index(self.vocabulary_.get(column, []), dtype=object)
            codes = vocabulary.get_indexer(pd.Index(values, dtype=object)).astype(np.int64)
            codes[pd.isna(values)] = _MISSING_CODE
            return codes
        lookup = self._lookups().get(column, {})
        return np.fromiter(
            (_MISSING_CODE if v is None else lookup.get(v, -1) for v in values),
            dtype=np.int64,
            count=len(values),
        )

    def _lookups(self) -> dict[Any, dict[str, int]]:
        lookups = self.__dict__.get("_lookups_")
        if lookups is None:  # derived from vocabulary_, never saved: built on first use
            lookups = {c: {v: i for i, v in enumerate(vs)} for c, vs in self.vocabulary_.items()}
            self.__dict__["_lookups_"] = lookups
        return lookups

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray(self.output_names_, dtype=object)

    # -- state as data --------------------------------------------------------------------
    def to_state(self, files: dict[str, str] | None = None) -> dict[str, Any]:
        check_is_fitted(self, "vocabulary_")
        return {
            "params": self.get_params(),
            "numeric": list(self.numeric_),
            "categorical": list(self.categorical_),
            "bin_edges": self.bin_edges_,
            "vocabulary": self.vocabulary_,
            "encoded_mean": [float(v) for v in self.encoded_mean_],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], files: dict[str, str] | None = None
    ) -> FeatureEncoder:
        params = dict(state["params"])
        for key in ("numeric", "categorical"):
            if params.get(key) is not None:
                params[key] = tuple(params[key])
        self = cls(**params)
        self.numeric_ = list(state["numeric"])
        self.categorical_ = list(state["categorical"])
        self.bin_edges_ = {k: list(v) for k, v in state["bin_edges"].items()}
        self.vocabulary_ = {k: list(v) for k, v in state["vocabulary"].items()}
        self.encoded_mean_ = np.asarray(state["encoded_mean"], dtype=np.float64)
        names = self.numeric_ + self.categorical_
        self.n_features_in_ = len(names)
        if all(isinstance(c, str) for c in names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self._set_layout()
        return self
