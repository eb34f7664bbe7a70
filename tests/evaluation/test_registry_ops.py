import json

import pytest

from crmml.errors import CrmmlError
from evaluation.registry_ops import (
    CHAMPION,
    DECISION,
    approve,
    current_champion,
    list_models,
    promotion_log,
    record_verdict,
    reject,
    rollback,
)

PASS = {"verdict": "pass", "failed": []}
FAIL = {"verdict": "fail", "failed": ["min_roc_auc", "demographic_parity_ratio:gender"]}


def test_approve_refuses_a_failed_version(registry):
    record_verdict(registry, "churn", "1", PASS, report_uri="runs:/x/evaluation/report.html")
    approve(registry, task="churn", version="1", reviewer="ana", note="first")
    record_verdict(registry, "churn", "2", FAIL, report_uri="r")
    with pytest.raises(CrmmlError) as exc:
        approve(registry, task="churn", version="2", reviewer="bo", note="ship it")
    assert exc.value.exit_code == 3
    lines = exc.value.lines()
    assert any("min_roc_auc" in x for x in lines) and any("not moved" in x for x in lines)
    assert current_champion(registry, "churn") == "1"
    with pytest.raises(CrmmlError, match="not evaluated"):
        approve(registry, task="churn", version="3", reviewer="bo", note="x")


def test_override_needs_reason_and_is_recorded(registry):
    record_verdict(registry, "churn", "2", FAIL, report_uri="r")
    with pytest.raises(CrmmlError, match="--reason"):
        approve(registry, task="churn", version="2", reviewer="bo", note="x", override=True)
    out = approve(
        registry,
        task="churn",
        version="2",
        reviewer="bo",
        note="x",
        override=True,
        reason="regulator asked for the new features",
    )
    assert out["override"] and current_champion(registry, "churn") == "2"
    decision = json.loads(registry.get_model_version("crm-churn", "2").tags[DECISION])
    assert decision["verdict"] == "fail" and decision["reason"].startswith("regulator")
    assert promotion_log(registry, "churn")[-1]["action"] == "override"


def test_promotion_log_and_rollback(registry):
    for v in ("1", "2"):
        record_verdict(registry, "churn", v, PASS, report_uri="r")
        approve(registry, task="churn", version=v, reviewer="ana", note=f"v{v}")
    assert current_champion(registry, "churn") == "2"
    entry = rollback(registry, task="churn", reviewer="ana", reason="complaints")
    assert (entry["from"], entry["to"], entry["action"]) == ("2", "1", "rollback")
    assert current_champion(registry, "churn") == "1"
    log = promotion_log(registry, "churn")
    assert [(e["from"], e["to"]) for e in log] == [(None, "1"), ("1", "2"), ("2", "1")]
    with pytest.raises(CrmmlError, match="no previous champion"):
        rollback(registry, task="churn", reviewer="ana", reason="again")


def test_reject_and_models_listing(registry):
    record_verdict(registry, "churn", "1", PASS, report_uri="r")
    approve(registry, task="churn", version="1", reviewer="ana", note="ok")
    registry.set_registered_model_alias("crm-churn", "challenger", "3")
    record_verdict(registry, "churn", "3", FAIL, report_uri="r")
    reject(registry, task="churn", version="3", reviewer="bo", note="unfair")
    rows = {r["version"]: r for r in list_models(registry, task="churn")}
    assert rows["1"]["aliases"] == [CHAMPION] and rows["1"]["decision"] == "approved"
    assert rows["3"]["aliases"] == ["challenger"] and rows["3"]["decision"] == "rejected"
    assert rows["3"]["verdict"] == "fail" and rows["2"]["verdict"] == "not evaluated"
    assert current_champion(registry, "churn") == "1"


def test_unknown_version_is_a_clear_error(registry):
    with pytest.raises(CrmmlError, match="no version 9"):
        approve(registry, task="churn", version="9", reviewer="a", note="b")
