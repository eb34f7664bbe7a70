"""Save a fitted pipeline as data only (``model.json`` + ``booster.txt``) and load it back.

No pickle and no code: every piece writes its fitted attributes as JSON (LightGBM its own
text model) through its ``to_state``, and the loader rebuilds the same scikit-learn
pipeline with each piece's ``from_state``, so training and serving share one implementation.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import lightgbm
import sklearn
from sklearn.pipeline import Pipeline

from crmml.errors import CrmmlError
from models.calibration import Calibrator
from models.crm_model import CrmModel, pipeline_family, pipeline_spec
from models.spec import FeatureSpec

MODEL_FILE = "model.json"
FORMAT = "crmml.model"
FORMAT_VERSION = 1
# Step type -> its module, imported when a saved model has that step (a LightGBM model is
# loaded without the scorecard's and the tree's scikit-learn modules).
_PIECES = {
    "FeatureEncoder": "models.transformers",
    "ScorecardLogit": "models.scorecard",
    "RuleTree": "models.tree",
    "BoosterClassifier": "models.lgbm",
}


def _piece_class(kind: str) -> Any:
    return getattr(importlib.import_module(_PIECES[kind]), kind)


def _piece_state(piece: Any, files: dict[str, str]) -> dict[str, Any]:
    if type(piece).__name__ not in _PIECES:
        raise CrmmlError(f"save_model_dir: cannot save a {type(piece).__name__} step as data")
    return {"type": type(piece).__name__, "state": piece.to_state(files)}


def _piece(entry: dict[str, Any], files: dict[str, str], where: Path) -> Any:
    kind = entry.get("type")
    if kind not in _PIECES:
        raise CrmmlError(f"{where}: unknown step type {kind!r}; expected one of {sorted(_PIECES)}")
    try:
        return _piece_class(kind).from_state(entry["state"], files)
    except (KeyError, TypeError, ValueError) as exc:
        raise CrmmlError(
            f"{where}: step {entry.get('name')!r} ({kind}) has bad state: {exc!r}"
        ) from exc


def model_document(
    pipeline: Pipeline, *, metadata: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``model.json`` document and the text files beside it."""
    files: dict[str, str] = {}
    (enc_name, encoder), (model_name, model) = pipeline.steps[0], pipeline.steps[-1]
    if len(pipeline.steps) != 2:
        raise CrmmlError(
            f"save_model_dir: expected a 2-step pipeline (encoder, model), "
            f"found {[n for n, _ in pipeline.steps]}"
        )
    steps = [{"name": enc_name, **_piece_state(encoder, files)}]
    if isinstance(model, Calibrator):
        step = {"name": model_name, **_piece_state(model.estimator_, files)}
        step["calibrator"] = model.to_state(files)
    else:
        step = {"name": model_name, **_piece_state(model, files)}
    steps.append(step)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "family": pipeline_family(pipeline),
        "spec": pipeline_spec(pipeline).to_dict(),
        "steps": steps,
        "metadata": dict(metadata or {}),
        "versions": {"scikit-learn": sklearn.__version__, "lightgbm": lightgbm.__version__},
    }
    return document, files


def save_model_dir(
    pipeline: Pipeline, path: Path, *, metadata: dict[str, Any] | None = None
) -> None:
    """Write the fitted ``pipeline`` to the new directory ``path`` as JSON and text only.

    Written to a temporary sibling and renamed, so ``path`` is never half-written. ``path``
    must not exist or must be an empty directory. ``metadata`` must be JSON-serialisable.
    """
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise CrmmlError(f"{path}: model directory already exists and is not empty")
    document, files = model_document(pipeline, metadata=metadata)
    try:
        text = json.dumps(document, indent=1, allow_nan=False, sort_keys=False)
    except (TypeError, ValueError) as exc:
        raise CrmmlError(
            f"save_model_dir: state or metadata is not plain JSON data: {exc}"
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        (tmp / MODEL_FILE).write_text(text, encoding="utf-8")
        for name, content in files.items():
            (tmp / name).write_text(content, encoding="utf-8")
        if path.exists():
            path.rmdir()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_model_dir(path: Path) -> CrmModel:
    """Rebuild the fitted pipeline saved by :func:`save_model_dir` and wrap it."""
    path = Path(path)
    model_file = path / MODEL_FILE
    if not model_file.is_file():
        raise CrmmlError(f"{path}: not a crmml model directory (no {MODEL_FILE})")
    try:
        document = json.loads(model_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CrmmlError(f"{model_file}: cannot read model JSON: {exc}") from exc
    if document.get("format") != FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise CrmmlError(
            f"{model_file}: expected format {FORMAT} v{FORMAT_VERSION}, "
            f"found {document.get('format')} v{document.get('format_version')}"
        )
    files: dict[str, str] = {}
    for entry in document["steps"]:
        name = entry["state"].get("booster_file")
        if name:
            booster = path / Path(name).name
            if not booster.is_file():
                raise CrmmlError(f"{path}: missing {booster.name} referenced by {MODEL_FILE}")
            files[name] = booster.read_text(encoding="utf-8")
    enc_entry, model_entry = document["steps"]
    encoder = _piece(enc_entry, files, model_file)
    model = _piece(model_entry, files, model_file)
    if "calibrator" in model_entry:
        model = Calibrator.from_state(model_entry["calibrator"], model)
    pipeline = Pipeline([(enc_entry["name"], encoder), (model_entry["name"], model)])
    return CrmModel(
        pipeline,
        family=document["family"],
        spec=FeatureSpec.from_dict(document["spec"]),
        metadata=document.get("metadata", {}),
    )
