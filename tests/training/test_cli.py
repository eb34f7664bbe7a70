import os
import subprocess
import sys
from pathlib import Path

from mlflow import MlflowClient
from typer.testing import CliRunner

from crmml.cli import app

CRMML = str(Path(sys.executable).with_name("crmml"))


def test_help_has_examples():
    result = CliRunner().invoke(app, ["train", "--help"], terminal_width=120)
    assert result.exit_code == 0
    assert "crmml train --task churn --features" in result.output
    assert "--trials" in result.output and "--families" in result.output


def test_train_command(features_dir, tracking):
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--task",
            "churn",
            "--features",
            str(features_dir),
            "--trials",
            "1",
            "--families",
            "scorecard,tree",
            "--seed",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "chose" in result.output and "registered crm-churn v1" in result.output
    mv = MlflowClient(tracking).get_model_version_by_alias("crm-churn", "challenger")
    assert mv.tags["family"] in ("scorecard", "tree")


def _main(args, capsys, monkeypatch):
    """The real entry point in-process: exit code and stderr as a user sees them."""
    from crmml.cli import main

    monkeypatch.setattr(sys, "argv", ["crmml", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_errors_are_one_line_and_exit_1(tmp_path, make_features, tracking, capsys, monkeypatch):
    out = make_features(tmp_path / "f", leak=True)
    code, err = _main(
        ["train", "--task", "churn", "--features", str(out), "--trials", "1"], capsys, monkeypatch
    )
    assert code == 1 and "cancelled_flag" in err and "Traceback" not in err
    code, err = _main(["train", "--task", "upsell", "--features", str(out)], capsys, monkeypatch)
    assert code == 1 and "unknown task 'upsell'" in err
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    code, err = _main(["train", "--task", "churn", "--features", str(out)], capsys, monkeypatch)
    assert code == 1 and "unreachable" in err
    assert MlflowClient(tracking).search_registered_models() == []


def test_console_script_exit_code(tmp_path, store_uri):
    env = {**os.environ, "MLFLOW_TRACKING_URI": store_uri}
    proc = subprocess.run(
        [CRMML, "train", "--task", "churn", "--features", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1 and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr
