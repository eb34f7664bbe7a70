"""Interpretable model catalogue: pipeline factories, calibration, safe save/load as data.

Families: ``scorecard`` (binned one-hot + logistic regression), ``tree`` (shallow decision
tree) and ``lgbm`` (LightGBM with monotone constraints). Every fitted pipeline is saved as
data only (JSON + LightGBM text) and loaded back by :func:`load_model_dir`.
"""

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
