"""The drift report: JSON first, HTML rendered from it, both written atomically."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from monitoring.drift import compare, profile
from monitoring.report import write_drift_report


def test_json_and_html_carry_the_same_numbers(tmp_path):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 1000), "c": pd.array(["a"] * 1000, "string")})
    cur = pd.DataFrame({"x": rng.normal(1, 1, 500), "c": pd.array(["a", "<b>"] * 250, "string")})
    features = [{"name": "x", "kind": "numeric"}, {"name": "c", "kind": "categorical"}]
    report = compare(profile(ref, features=features), cur)
    report.update(
        task="churn",
        model={"name": "crm-churn", "version": "3"},
        reference_source="ref.parquet",
        current_source="cur.parquet",
    )
    paths = write_drift_report(report, tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    html = paths["html"].read_text(encoding="utf-8")
    assert data["drifted"] is True
    assert f"{data['features']['x']['psi']:.3f}" in html
    assert "&lt;b&gt;" in html and "<b>" not in html  # category values are escaped
    assert not list((tmp_path / "out").glob(".*"))  # no temp files left behind
