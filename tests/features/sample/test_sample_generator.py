"""generate_export: every table and column, determinism, export.json, drift, bad options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmml.errors import CrmmlError
from features.cli import app as features_app
from features.contract import TABLES
from features.sample import generate_export

CRMML = str(Path(sys.executable).parent / "crmml")


def _read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[""])


def test_every_table_with_canonical_columns(small_export):
    out, meta = small_export
    for name, table in TABLES.items():
        frame = _read(out, name)
        assert tuple(frame.columns) == table.column_names, name
        assert len(frame) == meta["counts"][name] > 0
        for col in table.columns:
            if col.required and not col.nullable:
                assert frame[col.name].notna().all(), (name, col.name)
            if col.allowed:
                assert set(frame[col.name].dropna()) <= set(col.allowed), (name, col.name)
        assert frame[table.primary_key].is_unique, name


def test_volumes_are_realistic(small_export):
    _, meta = small_export
    counts, n = meta["counts"], meta["customers"]
    assert 5 <= counts["orders"] / n <= 15
    assert 5 <= counts["activities"] / n <= 15
    assert 0.7 <= counts["tickets"] / n <= 2.5
    assert 0.5 <= counts["leads"] / n <= 1.0
    assert 2 <= counts["campaign_events"] / (n + counts["leads"]) <= 6


def test_export_json(small_export):
    out, meta = small_export
    on_disk = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert on_disk == meta
    assert meta["as_of"] == "2026-06-30" and meta["history_start"] == "2023-06-30"
    assert (meta["seed"], meta["customers"], meta["locale"], meta["format"]) == (
        11,
        300,
        "en",
        "csv",
    )
    assert {"churn", "repurchase", "lead_score", "sensitive"} <= set(meta["ground_truth"])
    assert meta["files"]["orders"] == "orders.csv"


def test_dates_stay_in_the_history_and_timestamps_carry_offsets(small_export):
    out, meta = small_export
    orders = _read(out, "orders")
    dates = pd.to_datetime(orders["order_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp(meta["history_start"])
    events = _read(out, "campaign_events")["event_time"]
    assert events.str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+08:00|Z)$").all()
    assert events.str.endswith("Z").any() and events.str.endswith("+08:00").any()
    acts = _read(out, "activities")["activity_date"]
    assert acts.str.len().eq(10).mean() > 0.8 and acts.str.len().eq(16).any()


def test_same_seed_same_bytes(tmp_path, small_export):
    out, _ = small_export
    again = tmp_path / "again"
    generate_export(again, customers=300, seed=11)
    for f in sorted(out.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    other = tmp_path / "other"
    generate_export(other, customers=300, seed=12)
    assert (other / "orders.csv").read_bytes() != (out / "orders.csv").read_bytes()


def test_as_of_moves_the_history(tmp_path):
    meta = generate_export(tmp_path / "e", customers=20, seed=1, as_of="2025-01-31")
    assert meta["as_of"] == "2025-01-31"
    orders = _read(tmp_path / "e", "orders")
    late = pd.to_datetime(orders["order_date"]) > pd.Timestamp("2025-01-31")
    assert late.sum() == meta["injected"]["future_dated_rows"]["orders"]


def test_drift_shifts_behaviour(tmp_path):
    meta = generate_export(tmp_path / "d", customers=400, seed=2, drift="2025-12-31")
    assert meta["injected"]["drift"]["date"] == "2025-12-31"
    orders = _read(tmp_path / "d", "orders")
    after = pd.to_datetime(orders["order_date"]) > pd.Timestamp("2025-12-31")
    assert (orders.loc[after, "product_category"] == "ai_addon").mean() > 0.1
    assert not (orders.loc[~after, "product_category"] == "ai_addon").any()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"customers": 5}, "--customers"),
        ({"locale": "fr"}, "--locale"),
        ({"fmt": "xlsx"}, "--format"),
        ({"as_of": "2026-02-30"}, "--as-of"),
        ({"as_of": "30/06/2026"}, "--as-of"),
        ({"as_of": "1899-06-30"}, "--as-of"),
        ({"drift": "2020-01-01"}, "--drift"),
        ({"seed": -3}, "--seed"),
    ],
)
def test_bad_options_raise(tmp_path, options, message):
    kwargs = {"customers": 20, "seed": 1, **options}
    with pytest.raises(CrmmlError) as info:
        generate_export(tmp_path / "x", **kwargs)
    assert any(message in line for line in info.value.lines())
    assert not (tmp_path / "x").exists()


def test_cli_writes_an_export(tmp_path):
    # The stage app in-process (fast); the root console script is exercised below.
    result = CliRunner().invoke(
        features_app,
        ["demo-data", "--out", str(tmp_path / "cli"), "--customers", "20", "--seed", "3"],
    )
    assert result.exit_code == 0, result.output
    assert "wrote sample export" in result.output
    assert (tmp_path / "cli" / "orders.csv").is_file()


def test_cli_reports_bad_options_without_traceback(tmp_path):
    result = subprocess.run(
        [
            CRMML,
            "demo-data",
            "--out",
            str(tmp_path / "cli"),
            "--customers",
            "3",
            "--locale",
            "de",
            "--as-of",
            "June",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for option in ("--customers", "--locale", "--as-of"):
        assert option in result.stderr
    assert not (tmp_path / "cli").exists()
