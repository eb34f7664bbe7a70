"""The real server over HTTP: endpoints, auth, limits, validation, parity, the alias swap."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import subprocess
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.serving.conftest import CRMML, KEY, Server, server_env
from tests.serving.registry_fixture import corrupt, frame, register, write_scoring_dir

pytestmark = pytest.mark.slow

CONFIG = """
poll_seconds: 1
max_records: 50
max_body_bytes: 100000
"""


@pytest.fixture(scope="module")
def served(store):
    tmp, uri = store
    register(uri, task="churn", seed=0)
    register(uri, task="repurchase", family="tree", seed=1)
    scoring = write_scoring_dir(tmp / "features", task="churn")
    (tmp / "serving.yaml").write_text(CONFIG, encoding="utf-8")
    env = server_env(tmp, uri, CRMML_API_KEYS=f"{KEY},other-key")
    server = Server(
        ["--config", str(tmp / "serving.yaml"), "--scoring-dir", str(scoring)],
        env,
        tmp / "server.log",
    )
    try:
        server.wait_ready()
        yield server, tmp, uri
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http(served):
    server = served[0]
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=30) as client:
        yield client


def records(n: int = 3, seed: int = 0) -> list[dict]:
    df, _ = frame(n=n, seed=seed)
    out = json.loads(df.drop(columns=["as_of"]).to_json(orient="records"))
    return out


def test_health_is_open_and_models_needs_a_key(served, http):
    server = served[0]
    assert httpx.get(f"{server.url}/livez").status_code == 200
    assert httpx.get(f"{server.url}/readyz").status_code == 200
    assert httpx.get(f"{server.url}/models").status_code == 401
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    models = http.get("/models").json()
    assert models["served"]["churn"]["version"] == "1"
    assert models["served"]["churn"]["as_of"] == "2026-06-30"
    assert set(models["served"]) == {"churn", "repurchase"}
    assert "lead_score" in models["not_served"]
    assert http.get("/metrics").status_code == 200


def test_single_and_batch_in_order(http):
    recs = records(5)
    one = http.post("/predict/churn", json={"records": recs[:1]})
    assert one.status_code == 200
    (pred,) = one.json()["predictions"]
    assert pred["entity_id"] == recs[0]["entity_id"]
    assert 0 <= pred["score"] <= 1 and pred["tier"] in {"high", "medium", "low"}
    assert pred["model"] == {"name": "crm-churn", "version": "1"}
    assert len(pred["reasons"]) == 3
    assert {"feature", "contribution", "phrase"} == set(pred["reasons"][0])
    assert any("sensitive attributes are never used" in w for w in pred["warnings"])
    batch = http.post("/predict/churn", json={"records": recs}).json()["predictions"]
    assert [p["entity_id"] for p in batch] == [r["entity_id"] for r in recs]
    assert batch[0]["score"] == pytest.approx(pred["score"])
    quiet = http.post("/predict/repurchase", json={"records": recs, "explain": False})
    assert quiet.status_code == 200
    assert all("reasons" not in p for p in quiet.json()["predictions"])


def test_python_client(served):
    from serving.client import CrmmlClient, CrmmlClientError

    with CrmmlClient(served[0].url, api_key=KEY) as client:
        assert client.ready()
        assert client.models()["served"]["churn"]["name"] == "crm-churn"
        preds = client.predict("churn", records(2), explain=False)
        assert len(preds) == 2 and "reasons" not in preds[0]
        assert client.predict_entities("churn", ["e0001"])[0]["entity_id"] == "e0001"
        with pytest.raises(CrmmlClientError) as info:
            client.predict("churn", [{"entity_id": "x"}])
        assert info.value.status == 422 and info.value.detail["detail"][0]["record"] == 0
    with CrmmlClient(served[0].url, api_key="wrong") as client, pytest.raises(CrmmlClientError):
        client.models()


def test_unserved_task_is_503_not_a_crash(http):
    resp = http.post("/predict/lead_score", json={"records": records(1)})
    assert resp.status_code == 503
    assert "lead_score" in resp.json()["detail"]


def test_auth(served):
    url = f"{served[0].url}/predict/churn"
    body = {"records": records(1)}
    assert httpx.post(url, json=body).status_code == 401
    wrong = httpx.post(url, json=body, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API key"
    assert httpx.post(url, json=body, headers={"X-API-Key": "other-key"}).status_code == 200


def test_body_too_large_is_413(served, http):
    big = {"records": records(1) * 2000}
    assert http.post("/predict/churn", json=big).status_code == 413

    def chunks():  # no Content-Length: the streamed size is checked
        payload = json.dumps(big).encode()
        for i in range(0, len(payload), 8192):
            yield payload[i : i + 8192]

    resp = http.post(
        "/predict/churn", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 413


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"n_orders_365d": "three"}, "n_orders_365d", "expected a number"),
        ({"n_orders_365d": -1}, "n_orders_365d", "impossible value"),
        ({"plan": None, "days_since_last_order": "NaN"}, "days_since_last_order", "number"),
        ({"drop": "plan"}, "plan", "missing required field"),
    ],
)
def test_invalid_records_are_422_with_record_and_field(http, change, field, reason):
    recs = records(2)
    if "drop" in change:
        del recs[1][change.pop("drop")]
    recs[1].update(change)
    resp = http.post("/predict/churn", json={"records": recs})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert any(
        p["record"] == 1 and p["field"] == field and reason in p["reason"] for p in detail
    ), detail


def test_malformed_bodies_are_422_or_415(http):
    raw = {"Content-Type": "application/json"}
    nan = (
        b'{"records": [{"entity_id": "a", "days_since_last_order": NaN, '
        b'"n_orders_365d": 1, "plan": "pro"}]}'
    )
    for body in (b'{"records": [', b"[1, 2]", b"", nan, b'{"nothing": 1}'):
        resp = http.post("/predict/churn", content=body, headers=raw)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"] == "invalid request"
    too_many = http.post("/predict/churn", json={"records": records(51)})
    assert too_many.status_code == 422 and "at most 50" in too_many.text
    pickle = http.post(
        "/predict/churn", content=b"x", headers={"Content-Type": "application/vnd.bentoml+pickle"}
    )
    assert pickle.status_code == 415


def test_null_is_missing_and_extra_fields_warned(http):
    rec = records(1)[0] | {"days_since_last_order": None, "crm_notes": "x", "plan": "gold"}
    (pred,) = http.post("/predict/churn", json={"records": [rec]}).json()["predictions"]
    text = " ".join(pred["warnings"])
    assert "crm_notes" in text and "unseen value 'gold' for plan" in text


def test_entity_ids_unknown_is_per_record(http):
    df, _ = frame(n=40, seed=7)
    resp = http.post("/predict/churn", json={"entity_ids": ["e0003", "nobody", "e0010"]})
    assert resp.status_code == 200
    preds = resp.json()["predictions"]
    assert [p["entity_id"] for p in preds] == ["e0003", "nobody", "e0010"]
    assert preds[1]["error"] == "unknown entity"
    direct = http.post("/predict/churn", json={"records": records(40, seed=7)[3:4]})
    assert preds[0]["score"] == pytest.approx(direct.json()["predictions"][0]["score"])


def test_service_equals_crmml_score_and_pyfunc(served, http, tmp_path):
    _, tmp, uri = served
    df, _ = frame(n=60, seed=3)
    src = tmp_path / "set.parquet"
    df.to_parquet(src, index=False)
    out = tmp_path / "scored.parquet"
    env = server_env(tmp, uri)
    subprocess.run(
        [
            CRMML,
            "score",
            "--task",
            "churn",
            "--input",
            str(src),
            "--out",
            str(out),
            "--with-reasons",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    batch = pd.read_parquet(out)
    online = []
    for start in range(0, 60, 25):
        body = {"records": records(60, seed=3)[start : start + 25]}
        online += http.post("/predict/churn", json=body).json()["predictions"]
    np.testing.assert_allclose(batch["score"], [p["score"] for p in online], rtol=1e-9)
    assert list(batch["tier"]) == [p["tier"] for p in online]
    assert [json.loads(r) for r in batch["reasons"]] == [p["reasons"] for p in online]

    import mlflow

    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
    mlflow.set_tracking_uri(uri)
    pyfunc = mlflow.pyfunc.load_model("models:/crm-churn/1")
    cols = ["days_since_last_order", "n_orders_365d", "plan"]
    np.testing.assert_allclose(pyfunc.predict(df[cols]), batch["score"], rtol=1e-9)


def test_prediction_log_has_pseudonyms_not_features(served):
    tmp = served[1]
    files = list((tmp / "home" / "predictions").glob("churn-*.jsonl"))
    assert files
    line = json.loads(files[0].read_text(encoding="utf-8").splitlines()[0])
    assert {"entity_id", "version", "score", "latency_ms", "request_id"} <= set(line)
    assert "plan" not in line and "days_since_last_order" not in line


def _hammer(http, stop_at: float, seen: set) -> list[str]:
    """Bounded request loop; returns failures (status or mixed versions in one response)."""
    failures = []
    for _ in range(400):
        if time.monotonic() > stop_at:
            break
        resp = http.post("/predict/churn", json={"records": records(4)})
        if resp.status_code != 200:
            failures.append(f"{resp.status_code}: {resp.text[:200]}")
            continue
        versions = {p["model"]["version"] for p in resp.json()["predictions"]}
        if len(versions) != 1:
            failures.append(f"mixed versions {versions}")
        seen |= versions
        if "2" in seen and len(seen) > 1 and time.monotonic() > stop_at - 25:
            break
    return failures


def test_alias_swap_under_load_has_no_failed_request(served, http):
    _, tmp, uri = served
    version = register(uri, task="churn", seed=5, alias=None)
    assert version == "2"
    seen: set[str] = set()
    stop_at = time.monotonic() + 30
    with cf.ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(_hammer, http, stop_at, seen) for _ in range(4)]
        time.sleep(1.0)
        from mlflow import MlflowClient

        MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
            "crm-churn", "champion", version
        )
        failures = [f for j in jobs for f in j.result()]
    assert failures == []
    assert seen == {"1", "2"}
    assert http.get("/models").json()["served"]["churn"]["version"] == "2"


def test_corrupt_new_version_keeps_the_old_one_serving(served, http):
    _, tmp, uri = served
    version = register(uri, task="churn", seed=9, alias=None)
    corrupt(uri, task="churn", version=version)
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
        "crm-churn", "champion", version
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and f"v{version} failed" not in served[0].text():
        time.sleep(0.5)
    assert f"crm-churn v{version} failed" in served[0].text()
    resp = http.post("/predict/churn", json={"records": records(2)})
    assert resp.status_code == 200
    assert {p["model"]["version"] for p in resp.json()["predictions"]} == {"2"}
    assert http.get("/models").json()["served"]["churn"]["version"] == "2"
