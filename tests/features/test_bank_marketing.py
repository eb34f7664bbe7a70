"""The single-table path end to end on real data: UCI Bank Marketing, examples/bank_marketing.yaml.

The data is read from ``../shared/data`` relative to the project root and never copied into
the repo; the tests skip with the reason when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.dataset_spec import load_dataset_spec
from features.single_table import RANDOM_NOTE, build_frames, build_from_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "bank_marketing.yaml"
DATA = ROOT.parent / "shared" / "data" / "bank_marketing" / "bank-full.csv"

pytestmark = pytest.mark.skipif(
    not DATA.is_file(), reason=f"real data not present: {DATA} (see shared/data/README.md)"
)


@pytest.fixture(scope="module")
def frames():
    spec = load_dataset_spec(SPEC)
    assert spec.file == DATA.resolve()
    return build_frames(spec)


def test_rows_label_rate_and_layout(frames):
    training, scoring, manifest, id_map = frames
    assert id_map is None
    assert len(training) == len(scoring) == 45_211
    assert training["label"].mean() == pytest.approx(0.117, abs=0.001)
    assert manifest["tasks"]["lead_score"]["drop_after_outcome"] == ["duration"]
    names = [f["name"] for f in manifest["tasks"]["lead_score"]["features"]]
    assert "duration" not in names and "duration" not in training
    assert "age" not in names and "marital" not in names  # sensitive: audited, not inputs
    assert "y" not in training and "y" not in names
    assert training["as_of"].eq(pd.Timestamp("2010-11-30")).all()


def test_sensitive_columns(frames):
    training, _, manifest, _ = frames
    assert manifest["tasks"]["lead_score"]["sensitive"] == [
        "sensitive__age_band",
        "sensitive__marital",
    ]
    assert set(training["sensitive__age_band"]) == {"<25", "25-60", ">60"}
    assert set(training["sensitive__marital"]) == {"married", "single", "divorced"}


def test_split_is_random_stratified_and_says_so(frames):
    training, _, manifest, _ = frames
    assert manifest["split"] == "random" and manifest["evaluation_note"] == RANDOM_NOTE
    shares = training["split"].value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"train": 0.6, "valid": 0.2, "test": 0.2}, abs=0.001)
    rates = training.groupby("split")["label"].mean()
    assert rates.max() - rates.min() < 0.001


def test_a_quick_model_reaches_the_published_auc(frames):
    """Without `duration` the published reference ROC AUC is about 0.80."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    training, _, manifest, _ = frames
    features = [f["name"] for f in manifest["tasks"]["lead_score"]["features"]]
    X = training[features].copy()
    for f in manifest["tasks"]["lead_score"]["features"]:
        if f["kind"] == "categorical":
            X[f["name"]] = X[f["name"]].astype("category")
    train = training["split"].eq("train")
    test = training["split"].eq("test")
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype",
        max_iter=60,
        learning_rate=0.15,
        early_stopping=False,
        random_state=0,
    )
    # One OpenMP thread: on a shared 2-core runner more threads are ~20x slower, not faster.
    with threadpool_limits(1):
        model.fit(X[train], training.loc[train, "label"])
    auc = roc_auc_score(training.loc[test, "label"], model.predict_proba(X[test])[:, 1])
    assert 0.75 <= auc <= 0.82, auc  # measured 0.794 with seed 42


def test_build_from_spec_writes_the_training_set(tmp_path):
    out = tmp_path / "bank"
    manifest = build_from_spec(load_dataset_spec(SPEC), out=out)
    written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert written == manifest
    task = written["tasks"]["lead_score"]
    assert task["rows"] == task["scoring_rows"] == 45_211
    assert task["label_rate"] == pytest.approx(0.117, abs=0.001)
    assert written["source"] == "single_table" and written["split"] == "random"
    training = pd.read_parquet(out / "lead_score.parquet")
    assert training["split"].isin(["train", "valid", "test"]).all()
    assert "label" not in pd.read_parquet(out / "lead_score.scoring.parquet")


def _cli_has_spec() -> bool:
    from typer.main import get_command

    from crmml.cli import app

    command = get_command(app).commands.get("features")  # type: ignore[attr-defined]
    return command is not None and any("--spec" in p.opts for p in command.params)


def test_cli_features_spec(tmp_path):
    if not _cli_has_spec():
        pytest.skip("`crmml features --spec` is not wired yet")
    import subprocess
    import sys

    out = tmp_path / "bank"
    crmml = Path(sys.executable).with_name("crmml")
    args = [str(crmml), "features", "--spec", str(SPEC), "--out", str(out), "--no-progress"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "not time-based" in done.stdout
    assert json.loads((out / "manifest.json").read_text())["source"] == "single_table"
    bad = subprocess.run(
        [*args[:-3], "--raw", str(tmp_path / "nope.csv"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "nope.csv: table file not found" in bad.stderr
