"""Save as data, load back: same probabilities, no pickle, clear errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from crmml.errors import CrmmlError
from models import FAMILIES, CrmModel, load_model_dir, save_model_dir

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("calibrated", [True, False], ids=["calibrated", "raw"])
def test_loaded_model_matches_pipeline(family, calibrated, fitted, test_rows, tmp_path):
    pipe = fitted[family]
    if not calibrated:
        pipe = Pipeline([pipe.steps[0], ("model", pipe.steps[-1][1].estimator_)])
    save_model_dir(pipe, tmp_path / "m", metadata={"task": "churn", "threshold": 0.4})
    model = load_model_dir(tmp_path / "m")
    assert isinstance(model, CrmModel)
    assert model.family == family
    assert model.feature_names == list(pipe.feature_names_in_)
    assert model.categorical == ["region", "channel"]
    assert model.metadata == {"task": "churn", "threshold": 0.4}
    expected = pipe.predict_proba(test_rows)[:, 1]
    np.testing.assert_allclose(model.predict_proba(test_rows), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        model.raw_score(test_rows),
        CrmModel.from_pipeline(pipe).raw_score(test_rows),
        rtol=0,
        atol=1e-9,
    )
    assert np.isfinite(model.predict_proba(test_rows)).all()


@pytest.mark.parametrize("family", FAMILIES)
def test_model_dir_is_json_and_text_only(family, fitted, tmp_path):
    save_model_dir(fitted[family], tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == (["booster.txt", "model.json"] if family == "lgbm" else ["model.json"])
    for path in (tmp_path / "m").iterdir():
        raw = path.read_bytes()
        assert not raw.startswith(PICKLE_MAGIC), path
        raw.decode("utf-8")  # text, not binary
    json.loads((tmp_path / "m" / "model.json").read_text())
    assert not list(tmp_path.glob(".m.*")), "temporary directory left behind"


def test_categorical_strings_survive_a_json_payload(fitted, test_rows, tmp_path):
    save_model_dir(fitted["lgbm"], tmp_path / "m")
    model = load_model_dir(tmp_path / "m")
    payload = test_rows.to_json(orient="records")
    again = pd.read_json(io.StringIO(payload), orient="records")
    np.testing.assert_allclose(
        model.predict_proba(again),
        fitted["lgbm"].predict_proba(test_rows)[:, 1],
        rtol=0,
        atol=1e-9,
    )
    # the same rows as a category dtype (what a careless caller might send) also work
    as_category = test_rows.astype({"region": "category", "channel": "category"})
    np.testing.assert_allclose(model.predict_proba(as_category), model.predict_proba(again))


def test_refuses_to_overwrite_and_names_bad_dirs(fitted, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("user data")
    with pytest.raises(CrmmlError, match="already exists and is not empty"):
        save_model_dir(fitted["tree"], tmp_path / "m")
    assert (tmp_path / "m" / "keep.txt").read_text() == "user data"
    with pytest.raises(CrmmlError, match="not a crmml model directory"):
        load_model_dir(tmp_path / "m")
    with pytest.raises(CrmmlError, match="not plain JSON data"):
        save_model_dir(fitted["tree"], tmp_path / "n", metadata={"when": object()})
    assert not (tmp_path / "n").exists()


def test_missing_input_column_is_named(fitted, test_rows, tmp_path):
    save_model_dir(fitted["scorecard"], tmp_path / "m")
    with pytest.raises(CrmmlError, match=r"missing feature column\(s\) \['channel'\]"):
        load_model_dir(tmp_path / "m").predict_proba(test_rows.drop(columns="channel"))


def test_corrupt_state_is_named(fitted, tmp_path):
    save_model_dir(fitted["scorecard"], tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    del doc["steps"][1]["state"]["coef"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(
        CrmmlError, match=r"model.json: step 'model' \(ScorecardLogit\) has bad state"
    ):
        load_model_dir(tmp_path / "m")
