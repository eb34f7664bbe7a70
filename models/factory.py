"""One unfitted scikit-learn Pipeline per family: raw feature rows in, probabilities out."""

from __future__ import annotations

from typing import Any

from sklearn.pipeline import Pipeline

from crmml.errors import CrmmlError
from models.lgbm import BoosterClassifier
from models.scorecard import ScorecardLogit
from models.search_spaces import FAMILIES, check_family, default_params
from models.spec import FeatureSpec
from models.transformers import FeatureEncoder
from models.tree import MAX_DEPTH, RuleTree

__all__ = ["FAMILIES", "make_pipeline"]


def make_pipeline(
    family: str, params: dict[str, Any], *, spec: FeatureSpec, seed: int = 0
) -> Pipeline:
    """An unfitted ``Pipeline([("encode", FeatureEncoder), ("model", estimator)])``.

    Parameters
    ----------
    family : {"scorecard", "tree", "lgbm"}
    params : dict
        Overrides of :func:`models.default_params`; unknown keys are an error.
    spec : FeatureSpec
        Raw input columns; ``spec.monotone`` becomes LightGBM's ``monotone_constraints``.
    seed : int
        Random seed of the estimator.
    """
    check_family(family)
    merged = default_params(family)
    unknown = sorted(set(params) - set(merged))
    if unknown:
        raise CrmmlError(
            f"{family} params: unknown key(s) {unknown}; expected some of {sorted(merged)}"
        )
    merged.update(params)
    p = merged
    encoder_args = {
        "numeric": spec.numeric,
        "categorical": spec.categorical,
        "min_frequency": int(p["min_frequency"]),
    }
    if family == "scorecard":
        if p["penalty"] not in ("l1", "l2"):
            raise CrmmlError(f"scorecard params: penalty expected l1|l2, found {p['penalty']!r}")
        encoder = FeatureEncoder(
            **encoder_args,
            numeric_encoding="bins",
            categorical_encoding="onehot",
            n_bins=int(p["n_bins"]),
        )
        l1 = p["penalty"] == "l1"
        model: Any = ScorecardLogit(
            C=float(p["C"]),
            l1_ratio=1.0 if l1 else 0.0,
            # liblinear is the fast exact solver for a pure L1 penalty on small data
            solver="liblinear" if l1 else "lbfgs",
            max_iter=2000,
            random_state=seed,
        )
    elif family == "tree":
        if not 1 <= int(p["max_depth"]) <= MAX_DEPTH:
            raise CrmmlError(
                f"tree params: max_depth expected 1..{MAX_DEPTH} (readable rules), "
                f"found {p['max_depth']}"
            )
        encoder = FeatureEncoder(**encoder_args, categorical_encoding="onehot")
        model = RuleTree(
            max_depth=int(p["max_depth"]),
            min_samples_leaf=int(p["min_samples_leaf"]),
            ccp_alpha=float(p["ccp_alpha"]),
            random_state=seed,
        )
    else:
        encoder = FeatureEncoder(**encoder_args, categorical_encoding="ordinal")
        n_num = len(spec.numeric)
        model = BoosterClassifier(
            num_leaves=int(p["num_leaves"]),
            learning_rate=float(p["learning_rate"]),
            n_estimators=int(p["n_estimators"]),
            min_child_samples=int(p["min_child_samples"]),
            feature_fraction=float(p["feature_fraction"]),
            bagging_fraction=float(p["bagging_fraction"]),
            lambda_l2=float(p["lambda_l2"]),
            monotone_constraints=tuple(spec.monotone_vector()),
            categorical_features=tuple(range(n_num, n_num + len(spec.categorical))),
            random_state=seed,
        )
    return Pipeline([("encode", encoder), ("model", model)])
