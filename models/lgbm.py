"""LightGBM with per-feature monotone constraints, kept as LightGBM's own text model.

A small estimator around :class:`lightgbm.Booster` rather than ``LGBMClassifier``: the
booster is the whole fitted state, it round-trips through ``model_to_string`` exactly, and
it reads a plain float matrix, so there is no pandas ``category`` to mismatch in serving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from models.transformers import FeatureEncoder

BOOSTER_FILE = "booster.txt"
VALID_NAME = "valid"


@dataclass(frozen=True)
class LightGBMData:
    """Binned training rows and, optionally, validation rows binned the same way."""

    train: lightgbm.Dataset
    valid: lightgbm.Dataset | None = None


class BoosterClassifier(ClassifierMixin, BaseEstimator):
    """Binary gradient-boosted trees on an encoded float matrix.

    Parameters
    ----------
    num_leaves, learning_rate, n_estimators, min_child_samples, feature_fraction,
    bagging_fraction, lambda_l2 : LightGBM training parameters.
    monotone_constraints : tuple of int, optional
        -1/0/1 per input column (0 for categoricals).
    monotone_method : {"basic", "intermediate", "advanced"}
        LightGBM's ``monotone_constraints_method``: "intermediate" constrains each split less
        than "basic" (LightGBM's default) and still keeps every direction. "advanced" does
        not, in LightGBM 4.7: scores stepped against the direction by up to 0.04 log-odds
        on the test data of ``tests/models`` (``test_monotone_holds_over_a_grid...``); open
        upstream as LightGBM issues #5358 and #6155.
    categorical_features : tuple of int
        Input columns holding ordinal category codes (NaN = missing or unseen).
    random_state : int
    num_threads : int
        Training threads (fixed, so `deterministic=True` gives the same model on every run;
        2 matches the CI and benchmark machines); prediction uses ``predict_threads``.
    """

    family = "lgbm"
    # Not a parameter (it changes no prediction): 1 in server workers, which run side by side;
    # 0 (all cores) for batch scoring, see CrmModel.set_predict_threads.
    predict_threads = 1
    # A compiled copy of the trees for batch scoring (models.native); never saved.
    native_ = None

    def __init__(
        self,
        num_leaves: int = 15,
        learning_rate: float = 0.05,
        n_estimators: int = 200,
        min_child_samples: int = 20,
        feature_fraction: float = 0.9,
        bagging_fraction: float = 0.9,
        lambda_l2: float = 1.0,
        monotone_constraints: tuple[int, ...] | None = None,
        monotone_method: str = "intermediate",
        categorical_features: tuple[int, ...] = (),
        random_state: int = 0,
        num_threads: int = 2,
    ):
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.lambda_l2 = lambda_l2
        self.monotone_constraints = monotone_constraints
        self.monotone_method = monotone_method
        self.categorical_features = categorical_features
        self.random_state = random_state
        self.num_threads = num_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _train_params(self) -> dict[str, Any]:
        params = {
            "objective": "binary",
            "num_leaves": int(self.num_leaves),
            "learning_rate": float(self.learning_rate),
            "min_child_samples": int(self.min_child_samples),
            "feature_fraction": float(self.feature_fraction),
            "bagging_fraction": float(self.bagging_fraction),
            "bagging_freq": 1 if self.bagging_fraction < 1 else 0,
            "lambda_l2": float(self.lambda_l2),
            "seed": int(self.random_state),
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": int(self.num_threads),
            "verbosity": -1,
        }
        if self.monotone_constraints is not None and any(self.monotone_constraints):
            params["monotone_constraints"] = [int(v) for v in self.monotone_constraints]
            params["monotone_constraints_method"] = str(self.monotone_method)
        return params

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        valid_set: tuple[Any, Any] | None = None,
        callbacks: Sequence[Callable[..., None]] = (),
        datasets: LightGBMData | None = None,
    ) -> BoosterClassifier:
        """Train ``n_estimators`` rounds on the encoded matrix ``X``.

        Parameters
        ----------
        valid_set : (X_valid, y_valid), optional
            An already-encoded validation matrix and its labels, evaluated as ``"valid"`` with
            metric ``auc`` after every round (what Optuna's ``LightGBMPruningCallback`` and
            ``lightgbm.early_stopping`` read).
        callbacks : sequence of callable
            Passed to :func:`lightgbm.train`. If one stops early, the model keeps the best
            iteration only (``best_iteration_``), so the saved booster predicts the same.
        datasets : LightGBMData, optional
            ``X`` and ``valid_set`` already binned by :meth:`datasets` (of an estimator with
            the same ``categorical_features``): tuning trials bin the rows once and share them.
        """
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                f"Only binary classification is supported, found {len(self.classes_)} class(es)"
            )
        if self.monotone_constraints is not None and len(self.monotone_constraints) != X.shape[1]:
            raise ValueError(
                f"monotone_constraints: expected {X.shape[1]} values, "
                f"found {len(self.monotone_constraints)}"
            )
        if datasets is None:
            datasets = self.datasets(X, y, valid_set=valid_set)
        params = self._train_params()
        valid_sets, valid_names = [], []
        if datasets.valid is not None:
            valid_sets.append(datasets.valid)
            valid_names.append(VALID_NAME)
            params["metric"] = "auc"
        booster = lightgbm.train(
            params,
            datasets.train,
            num_boost_round=int(self.n_estimators),
            valid_sets=valid_sets,
            valid_names=valid_names,
            callbacks=list(callbacks),
        )
        self.best_iteration_ = int(booster.best_iteration or booster.current_iteration())
        if self.best_iteration_ < booster.current_iteration():
            # Stopped early: drop the rounds after the best one, so the fitted state (and its
            # text file) is exactly the model that predicts.
            booster = lightgbm.Booster(
                model_str=booster.model_to_string(num_iteration=self.best_iteration_)
            )
        self.booster_ = booster
        return self

    def datasets(
        self, X: Any, y: Any, *, valid_set: tuple[Any, Any] | None = None
    ) -> LightGBMData:
        """LightGBM Datasets of the encoded rows (the validation rows binned like ``X``).

        Binning depends on the rows and ``categorical_features`` only, so estimators that
        differ in their training parameters can share these (``fit(..., datasets=...)``).
        LightGBM's feature pre-filter is off: it depends on ``min_child_samples``.
        """
        X = check_array(X, ensure_all_finite="allow-nan", dtype=np.float64)
        classes = np.unique(np.asarray(y))
        categorical = list(self.categorical_features) or "auto"
        params = {"feature_pre_filter": False, "verbosity": -1}
        train = lightgbm.Dataset(
            X,
            label=np.searchsorted(classes, np.asarray(y)),
            categorical_feature=categorical,
            params=params,
        )
        valid = None
        if valid_set is not None:
            Xv = check_array(valid_set[0], ensure_all_finite="allow-nan", dtype=np.float64)
            if Xv.shape[1] != X.shape[1]:
                raise ValueError(f"valid_set: expected {X.shape[1]} columns, found {Xv.shape[1]}")
            yv = np.asarray(valid_set[1])
            unknown = ~np.isin(yv, classes)
            if unknown.any():
                raise ValueError(f"valid_set labels: unknown class(es) {sorted(set(yv[unknown]))}")
            valid = lightgbm.Dataset(
                Xv,
                label=np.searchsorted(classes, yv),
                reference=train,
                categorical_feature=categorical,
                params=params,
            )
        return LightGBMData(train, valid)

    def _check(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "booster_")
        if (
            type(X) is np.ndarray
            and X.dtype == np.float64
            and X.ndim == 2
            and X.shape[1] == self.n_features_in_
            and not np.isinf(X).any()
        ):
            # Already a float matrix such as the encoder's output: sklearn's checks would cost
            # ten times the prediction of one row (the serving hot path).
            return X
        return validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)

    def raw_score(self, X: Any) -> np.ndarray:
        """Log-odds of the positive class."""
        X = self._check(X)
        if self.native_ is not None:
            return self.native_.raw_score(X, threads=self.predict_threads)
        return self.booster_.predict(X, raw_score=True, num_threads=self.predict_threads)

    def predict_proba(self, X: Any) -> np.ndarray:
        X = self._check(X)
        if self.native_ is not None:
            p = self.native_.proba(X, threads=self.predict_threads)
        else:
            p = self.booster_.predict(X, num_threads=self.predict_threads)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(int)]

    def decision_function(self, X: Any) -> np.ndarray:
        return self.raw_score(X)

    def raw_contributions(
        self, X: np.ndarray, encoder: FeatureEncoder
    ) -> tuple[np.ndarray, float]:
        """TreeSHAP (path-dependent) on the raw log-odds, LightGBM's ``pred_contrib``."""
        X = self._check(X)
        rows = X if len(X) else np.full((1, X.shape[1]), np.nan)
        out = self.booster_.predict(rows, pred_contrib=True, num_threads=self.predict_threads)
        return out[: len(X), :-1], float(out[0, -1])

    def to_state(self, files: dict[str, str]) -> dict[str, Any]:
        check_is_fitted(self, "booster_")
        files[BOOSTER_FILE] = self.booster_.model_to_string(num_iteration=-1)
        params = self.get_params()
        for key in ("monotone_constraints", "categorical_features"):
            params[key] = None if params[key] is None else [int(v) for v in params[key]]
        return {
            "params": params,
            "classes": [int(c) for c in self.classes_],
            "n_features": int(self.n_features_in_),
            "booster_file": BOOSTER_FILE,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], files: Mapping[str, str]) -> BoosterClassifier:
        params = dict(state["params"])
        for key in ("monotone_constraints", "categorical_features"):
            params[key] = None if params[key] is None else tuple(params[key])
        self = cls(**params)
        self.booster_ = lightgbm.Booster(model_str=files[state["booster_file"]])
        self.classes_ = np.asarray(state["classes"])
        self.n_features_in_ = state["n_features"]
        return self

    def describe(self, encoder: FeatureEncoder) -> dict[str, Any]:
        """Gain and split importances per feature, largest gain first."""
        names = [str(n) for n in encoder.output_names_]
        gain = self.booster_.feature_importance("gain")
        split = self.booster_.feature_importance("split")
        order = np.argsort(-gain, kind="stable")
        return {
            "family": self.family,
            "trees": int(self.booster_.num_trees()),
            "monotone": {
                names[i]: int(v) for i, v in enumerate(self.monotone_constraints or ()) if v
            },
            "importances": [
                {"feature": names[i], "gain": float(gain[i]), "splits": int(split[i])}
                for i in order
            ],
        }
