"""MLflow ``loader_module``: the registered model is data, this module turns it into a model.

Logged with ``mlflow.pyfunc.log_model(loader_module="models.pyfunc", data_path=<dir>)``, so
it loads with ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false``: MLflow only copies the model
directory and calls :func:`_load_pyfunc` from our installed package.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from models.crm_model import CrmModel
from models.state import load_model_dir, save_model_dir

_DATA_DIR = "crm_model"
# The loader lives in crmml; these are what it needs at predict time. Listed explicitly so
# MLflow does not infer requirements by loading (and so importing/pickling) the model.
_REQUIREMENTS = ("mlflow", "scikit-learn", "lightgbm", "pandas", "numpy", "scipy")


class PyfuncModel:
    """What ``mlflow.pyfunc.load_model`` wraps: ``predict`` gives P(label = 1)."""

    def __init__(self, model: CrmModel):
        self.model = model

    def predict(
        self, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> np.ndarray:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.model.predict_proba(model_input)


def _load_pyfunc(data_path: str) -> PyfuncModel:
    return PyfuncModel(load_model_dir(Path(data_path)))


def pip_requirements() -> list[str]:
    """Pinned runtime requirements of the loader (crmml itself must be installed)."""
    return [f"{name}=={version(name)}" for name in _REQUIREMENTS]


def log_crm_model(
    pipeline: Pipeline,
    *,
    name: str,
    input_example: pd.DataFrame,
    signature: Any = None,
    metadata: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
):
    """Log ``pipeline`` as data to the active MLflow run; returns the ``ModelInfo``.

    The input example is stored as JSON and the signature inferred from it and from this
    pipeline's probabilities (never by loading a pickled model).
    """
    import mlflow
    from mlflow.models import infer_signature

    if signature is None:
        proba = CrmModel.from_pipeline(pipeline).predict_proba(input_example)
        signature = infer_signature(input_example, proba)
    with tempfile.TemporaryDirectory(prefix="crmml-model-") as tmp:
        data_dir = Path(tmp) / _DATA_DIR
        save_model_dir(pipeline, data_dir, metadata=metadata)
        return mlflow.pyfunc.log_model(
            name=name,
            loader_module="models.pyfunc",
            data_path=str(data_dir),
            input_example=input_example,
            signature=signature,
            pip_requirements=pip_requirements(),
            registered_model_name=registered_model_name,
            metadata=metadata,
        )
