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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serving.conftest import CRMML, KEY, Server, server_env
from tests.serving.registry_fixture import corrupt, frame, register, write_scoring_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

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
    env = server_env(
        tmp, uri, CRMML_API_KEYS=f"{KEY},other-key", CRMML_PSEUDONYM_KEY="serving-test-key"
    )
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
    assert {"churn", "repurchase"} <= set(models["served"])
    assert "lead_score" in models["not_served"]
    assert http.get("/metrics").status_code == 200


def test_metrics_count_predictions_by_version(http):
    http.post("/predict/churn", json={"records": records(2)})
    http.post("/predict/churn", json={"records": [{"entity_id": "x"}]})
    text = http.get("/metrics").text
    assert 'crmml_predictions_total{model_version="1",task="churn"}' in text
    assert 'crmml_refused_requests_total{status="422",task="churn"}' in text


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


LEADS = [
    {
        "lead_id": "L-1",
        "created_at": "2026-06-01",
        "source": "web",
        "company_name": "Acme",
        "industry": "software",
        "region": "east",
        "company_size": "11-50",
        "job_title": "IT Manager",
        "status": "open",
    },
    {
        "lead_id": "L-2",
        "created_at": "2026-06-01",
        "source": "referral",
        "company_name": "Beta",
        "job_title": "CEO",
        "status": "open",
    },
    {
        "lead_id": "L-3",
        "created_at": "2026-06-01",
        "source": "web",
        "company_name": "Gamma",
        "status": "converted",
        "converted_at": "2026-06-01",
    },
]


def _wait_served(http, task: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if task in http.get("/models").json()["served"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{task} not served after {timeout}s")


def test_new_lead_scored_at_creation_equals_the_batch_builder(served, http, tmp_path):
    from datetime import date

    from features.build import snapshot_features
    from features.quality import load_clean_exports

    _, tmp, uri = served
    register(uri, task="lead_score", family="scorecard", seed=2)
    _wait_served(http, "lead_score")
    resp = http.post("/predict/lead_score", json={"leads": LEADS})
    assert resp.status_code == 200, resp.text
    online = resp.json()["predictions"]
    assert [p["entity_id"] for p in online] == ["L-1", "L-2", "L-3"]
    assert "not an open lead" in online[2]["error"]

    # The batch path: the export's quality gate + the builder's snapshot features.
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame(LEADS).to_csv(raw / "leads.csv", index=False)
    exports = load_clean_exports(raw, as_of=date(2026, 6, 1))
    feats = snapshot_features(exports, task="lead_score", snapshot=date(2026, 6, 1))
    feats = feats.drop(columns=["as_of"]).reset_index()
    feats["entity_id"] = feats.pop("entity_key")
    batch = http.post(
        "/predict/lead_score", json={"records": json.loads(feats.to_json(orient="records"))}
    )
    assert batch.status_code == 200, batch.text
    by_id = {p["entity_id"]: p for p in batch.json()["predictions"]}
    assert set(by_id) == {"L-1", "L-2"}
    for pred in online[:2]:
        assert pred["score"] == pytest.approx(by_id[pred["entity_id"]]["score"], rel=1e-12)
        assert pred["reasons"] == by_id[pred["entity_id"]]["reasons"]
    bad = http.post(
        "/predict/lead_score", json={"leads": [{"lead_id": "x", "created_at": "someday"}]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "created_at"


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


_fuzz_value = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
_fuzz_body = st.dictionaries(
    st.sampled_from(["records", "entity_ids", "explain", "leads", "x"]),
    st.lists(
        st.dictionaries(
            st.sampled_from(["entity_id", "days_since_last_order", "n_orders_365d", "plan"]),
            _fuzz_value,
        )
        | _fuzz_value,
        max_size=3,
    )
    | _fuzz_value,
    max_size=3,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_fuzz_body)
def test_fuzzed_bodies_never_500(http, body):
    content = json.dumps(body).encode()  # NaN/Infinity included: Python's JSON writes them
    resp = http.post(
        "/predict/churn", content=content, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code in (200, 422), (body, resp.text)
    resp.json()


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
    """records, entity_ids, ``crmml score`` and the pyfunc agree on the scoring set's rows."""
    _, tmp, uri = served
    src = tmp / "features" / "churn.scoring.parquet"  # what crmml features materialised
    df = pd.read_parquet(src)
    out = tmp_path / "scored.parquet"
    env = server_env(tmp, uri)
    subprocess.run(
        [CRMML, "score", "--task", "churn", "--input", str(src), "--out", str(out),
         "--with-reasons"],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    batch = pd.read_parquet(out)
    rows = json.loads(df.drop(columns=["as_of"]).to_json(orient="records"))
    online, by_id = [], []
    for start in range(0, len(rows), 25):
        part = rows[start : start + 25]
        online += http.post("/predict/churn", json={"records": part}).json()["predictions"]
        ids = [r["entity_id"] for r in part]
        by_id += http.post("/predict/churn", json={"entity_ids": ids}).json()["predictions"]
    for path in (online, by_id):
        np.testing.assert_allclose(batch["score"], [p["score"] for p in path], rtol=1e-9)
        assert list(batch["tier"]) == [p["tier"] for p in path]
        assert [json.loads(r) for r in batch["reasons"]] == [p["reasons"] for p in path]

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
