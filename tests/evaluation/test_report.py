import json
import re
import shutil
import subprocess

import pytest

from evaluation.config import BootstrapConfig, EvalConfig
from evaluation.evaluate import evaluate_predictions
from evaluation.plots import report_images
from evaluation.policy import load_policy
from evaluation.report import SECTIONS, write_reports


@pytest.fixture
def written(scored, tmp_path):
    r = evaluate_predictions(
        scored.y,
        scored.p,
        config=EvalConfig(bootstrap=BootstrapConfig(rounds=20)),
        policy=load_policy(),
        task="churn",
        sensitive=scored.sens,
        features=scored.X,
        contributions=scored.contributions,
        raw_score=scored.raw,
        feature_specs=scored.specs,
        model={"name": "crm-churn", "version": "1", "run_id": "r1", "family": "lightgbm"},
        model_card={"intended_use": "retention offers", "limitations": ["a", "b"]},
        evaluation_note="not time-based: the split is random",
    )
    images = report_images(r, shap_values=scored.contributions.values, features=scored.X)
    return r, write_reports(r, tmp_path / "out", images=images)


def test_json_first_and_same_numbers(written):
    r, paths = written
    data = json.loads(paths["json"].read_text())
    for key in ("overall", "fairness", "gate", "explanations", "operating_point", "business"):
        assert key in data
    assert data["fairness"]["attributes"]["gender"]["by_group"]
    auc = f"{data['overall']['roc_auc']['value']:.3f}"
    assert auc in paths["html"].read_text() and auc in paths["md"].read_text()
    assert "not time-based" in paths["md"].read_text()
    assert not list(paths["json"].parent.glob(".*.tmp"))


def test_html_is_self_contained(written):
    html = written[1]["html"].read_text()
    for s in SECTIONS:
        assert f'id="{s}"' in html
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert len(srcs) >= 4 and all(s.startswith("data:image/png;base64,") for s in srcs)


@pytest.mark.browser
def test_report_in_headless_chromium(written, tmp_path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (CI installs it: apt-get install -y chromium)")
    html = written[1]["html"]
    flags = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    # After load, mark each image as decoded or broken, then dump the DOM.
    probe = tmp_path / "probe.html"
    probe.write_text(
        html.read_text().replace(
            "</body>",
            "<script>window.addEventListener('load',()=>{document.body.setAttribute('data-broken',"
            "[...document.images].filter(i=>!(i.complete&&i.naturalWidth>0)).length);"
            "document.body.setAttribute('data-images',document.images.length);});</script></body>",
        )
    )
    dom = subprocess.run(
        flags + ["--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-broken="0"' in dom, dom[:500]
    assert int(re.search(r'data-images="(\d+)"', dom).group(1)) >= 4
    for s in SECTIONS:
        assert f'id="{s}"' in dom
    shot = tmp_path / "shot.png"
    subprocess.run(
        flags + [f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 10_000
