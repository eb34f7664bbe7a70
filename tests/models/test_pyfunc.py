"""The registered artifact: a pyfunc of data only, loaded by MLflow with pickle disabled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import mlflow
import numpy as np
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from models import FAMILIES
from models.pyfunc import _load_pyfunc, log_crm_model
from models.state import save_model_dir

PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")

LOAD_WITHOUT_PICKLE = textwrap.dedent(
    """
    import json, sys
    import mlflow, numpy as np, pandas as pd
    uri, rows_file, sk_uri = sys.argv[1:4]
    mlflow.set_tracking_uri(uri)
    rows = pd.read_json(rows_file, orient="split", dtype=False)
    out = {}
    for family in json.loads(sys.argv[4]):
        model = mlflow.pyfunc.load_model(f"models:/crm-{family}/1")
        out[family] = np.asarray(model.predict(rows)).tolist()
    try:
        mlflow.pyfunc.load_model(sk_uri)
        out["sklearn_refused"] = False
    except Exception:
        out["sklearn_refused"] = True
    print(json.dumps(out))
    """
)


@pytest.fixture()
def tracking(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("models-test", artifact_location=str(tmp_path / "art"))
    yield uri, experiment
    mlflow.set_tracking_uri(previous)


def test_loader_module_predicts_probabilities(fitted, test_rows, tmp_path):
    save_model_dir(fitted["tree"], tmp_path / "m")
    pred = _load_pyfunc(str(tmp_path / "m")).predict(test_rows)
    np.testing.assert_allclose(pred, fitted["tree"].predict_proba(test_rows)[:, 1], atol=1e-9)


@pytest.mark.slow
def test_mlflow_loads_every_family_with_pickle_disabled(
    fitted, data, test_rows, tmp_path, tracking
):
    uri, experiment = tracking
    example = data["test"][0].head(5)
    with mlflow.start_run(experiment_id=experiment):
        infos = {
            family: log_crm_model(
                fitted[family],
                name=f"{family}_model",
                input_example=example,
                metadata={"task": "churn"},
                registered_model_name=f"crm-{family}",
            )
            for family in FAMILIES
        }
        # control: an ordinary (pickled) sklearn model, which must be refused
        sk = mlflow.sklearn.log_model(
            LogisticRegression().fit(np.eye(2), [0, 1]), name="sk", pip_requirements=[]
        )
    rows_file = tmp_path / "rows.json"
    test_rows.to_json(rows_file, orient="split")
    env = {**os.environ, "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_WITHOUT_PICKLE,
            uri,
            str(rows_file),
            sk.model_uri,
            json.dumps(FAMILIES),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["sklearn_refused"] is True
    for family in FAMILIES:
        expected = fitted[family].predict_proba(test_rows)[:, 1]
        np.testing.assert_allclose(out[family], expected, rtol=0, atol=1e-9)

    for info in infos.values():
        root = tmp_path / "art" / "models" / info.model_id / "artifacts"
        mlmodel = yaml.safe_load((root / "MLmodel").read_text())
        flavor = mlmodel["flavors"]["python_function"]
        assert flavor["loader_module"] == "models.pyfunc"
        assert "code" not in flavor or flavor["code"] is None
        assert set(mlmodel["flavors"]) == {"python_function"}
        for path in root.rglob("*"):
            if path.is_file():
                assert path.suffix not in {".pkl", ".pickle", ".joblib", ".skops"}, path
                assert not path.read_bytes().startswith(PICKLE_MAGIC), path
        assert "crmml" not in (root / "requirements.txt").read_text()
