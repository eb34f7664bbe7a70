"""The root CLI: every command is reachable, documented and shows examples."""

from __future__ import annotations

import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from crmml.cli import app

runner = CliRunner()


def _commands() -> dict:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_root_help_lists_stage_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo-data", "validate", "features"):
        assert name in result.output


def test_every_command_has_help_with_examples() -> None:
    commands = _commands()
    assert commands, "no commands registered"
    for name in commands:
        result = runner.invoke(app, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, (name, result.output)
        assert "Example" in result.output, f"`crmml {name} --help` shows no examples"


def test_user_error_is_one_line_without_traceback(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crmml.cli", "validate", str(tmp_path / "nowhere"), "--as-of",
         "2026-01-01"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "nowhere" in proc.stderr + proc.stdout


def test_the_cli_imports_no_heavy_library_before_a_command_needs_it() -> None:
    # Every command pays for what `crmml` imports up front: `crmml score` overlaps MLflow
    # (in a child) with pandas/scikit-learn/LightGBM only if neither is already loaded.
    code = (
        "import sys, crmml.cli; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'mlflow', 'lightgbm', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
