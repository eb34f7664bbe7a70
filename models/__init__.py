"""Interpretable model catalogue: pipeline factories, calibration, safe save/load as data.

Families: ``scorecard`` (binned one-hot + logistic regression), ``tree`` (shallow decision
tree) and ``lgbm`` (LightGBM with monotone constraints). Every fitted pipeline is saved as
data only (JSON + LightGBM text) and loaded back by :func:`load_model_dir`.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): loading a saved LightGBM model for scoring must not import the
# other families' scikit-learn and SciPy modules (about 0.2 s of `crmml score`'s start-up).
_EXPORTS = {
    "Calibrator": "models.calibration",
    "calibrate": "models.calibration",
    "Contributions": "models.crm_model",
    "CrmModel": "models.crm_model",
    "FAMILIES": "models.factory",
    "make_pipeline": "models.factory",
    "default_params": "models.search_spaces",
    "starting_trial": "models.search_spaces",
    "suggest_params": "models.search_spaces",
    "FeatureSpec": "models.spec",
    "load_model_dir": "models.state",
    "save_model_dir": "models.state",
}

if TYPE_CHECKING:
    from models.calibration import Calibrator, calibrate
    from models.crm_model import Contributions, CrmModel
    from models.factory import FAMILIES, make_pipeline
    from models.search_spaces import default_params, starting_trial, suggest_params
    from models.spec import FeatureSpec
    from models.state import load_model_dir, save_model_dir

__all__ = [
    "FAMILIES",
    "Calibrator",
    "Contributions",
    "CrmModel",
    "FeatureSpec",
    "calibrate",
    "default_params",
    "load_model_dir",
    "make_pipeline",
    "save_model_dir",
    "starting_trial",
    "suggest_params",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
