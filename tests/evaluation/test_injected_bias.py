"""The lead-handling bias planted in the sample data is found by the fairness audit.

Runs the real pipeline through the CLI: demo-data -> features -> train -> evaluate. The
generator neglected leads from one region (西北: slower first response, fewer conversions at
equal quality, see export.json "injected"); the lead-score model learns it, and the audit
must flag that region, with the default policy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CRMML = [sys.executable, "-m", "crmml.cli"]


def _run(args: list[str], cwd: Path, env: dict) -> str:
    proc = subprocess.run(CRMML + args, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_neglected_region_is_flagged_by_the_lead_score_audit(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CRMML_HOME": str(tmp_path / "home"),
        "CRMML_PSEUDONYM_KEY": "bias-test-key",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    _run(["demo-data", "--out", "raw", "--customers", "15000", "--seed", "3"], tmp_path, env)
    injected = json.loads((tmp_path / "raw" / "export.json").read_text(encoding="utf-8"))
    assert "西北" in json.dumps(injected["injected"], ensure_ascii=False)
    _run(
        ["features", "--raw", "raw", "--out", "feat", "--tasks", "lead_score", "--no-progress"],
        tmp_path,
        env,
    )
    _run(
        ["train", "--task", "lead_score", "--features", "feat", "--families", "scorecard",
         "--trials", "1"],
        tmp_path,
        env,
    )
    _run(
        ["evaluate", "--task", "lead_score", "--features", "feat", "--alias", "challenger",
         "--out", "reports"],
        tmp_path,
        env,
    )
    report = json.loads(next((tmp_path / "reports").rglob("evaluation.json")).read_text())
    region = report["fairness"]["attributes"]["region"]
    judged = [g for g in region["by_group"] if g["group"] not in region["insufficient"]]
    worst = min(judged, key=lambda g: g["selection_rate"])
    assert worst["group"] == "西北"
    failed = {c["name"] for c in report["gate"]["checks"] if c.get("status") == "fail"}
    assert "demographic_parity_ratio:region" in failed
    assert report["gate"]["verdict"] == "fail"
