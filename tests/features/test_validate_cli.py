"""``crmml validate`` through the real CLI: exit codes and messages for good and bad exports.

Most cases call the console-script entry point (:func:`crmml.cli.main`) in-process, which is the
same code path without paying the interpreter start-up for each case; a few run the real
``python -m crmml.cli`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crmml.cli import main
from tests.features.export_files import CUSTOMERS, ORDERS, full_export, write_export

REPO = Path(__file__).resolve().parents[2]
SALESFORCE = REPO / "examples" / "mappings" / "salesforce.yaml"


def run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, *args: str):  # noqa: ANN201
    """Run ``crmml validate ARGS`` in-process; returns (exit code, stdout, stderr), unwrapped."""
    monkeypatch.setattr(sys, "argv", ["crmml", "validate", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, " ".join(out.split()), " ".join(err.split())


def run_subprocess(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "crmml.cli", "validate", *args],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip


def test_good_export_exits_0_with_summary(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    full_export(tmp_path)
    code, out, err = run(capsys, monkeypatch, str(tmp_path))
    assert code == 0, err
    assert f"as of 2026-06-30 (from {tmp_path / 'export.json'})" in out
    assert "2 orders dated after 2026-06-30 (order_date) left out" in out
    assert "buildable tasks: churn, repurchase, lead_score" in out


def test_missing_required_column_subprocess(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": "order_id,customer_id,order_date\n1,2,2026-01-01\n"})
    proc = run_subprocess(str(tmp_path))
    assert proc.returncode == 1
    err = " ".join(proc.stderr.split())
    assert "1 blocking problem" in err
    assert ("orders.csv: required column 'amount' missing from table orders; found columns: "
            "order_id, customer_id, order_date") in err  # fmt: skip
    assert "Traceback" not in proc.stderr


def test_unparseable_date_column(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": "order_id,customer_id,order_date,amount\n"
                            "1,2,someday,5\n2,2,never,6\n"})  # fmt: skip
    code, _, err = run(capsys, monkeypatch, str(tmp_path))
    assert code == 1
    assert "orders.csv: required column order_date: all 2 cells are unparseable" in err


def test_some_unparseable_dates_are_a_warning(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": ORDERS + "O9,00101,31.31.2026,5,A,paid\n"})
    code, out, _ = run(capsys, monkeypatch, str(tmp_path))
    assert code == 0
    assert "orders.csv: column order_date: 1 cells could not be read as dates" in out
    assert "1 orders with missing order_date left out" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "orders.csv: empty file (no header row)"),
        (b"order_id,customer_id,order_date,amount\n", "orders.csv: no rows (only a header)"),
        (
            "order_id,amount\n1,2\n".encode("utf-16"),
            "orders.csv: encoded as UTF-16/UTF-32, which is not supported",
        ),
        (bytes(range(256)) * 8, "orders.csv: binary data, not a CSV text file"),
        (
            b"order_id,amount\n\x81\x30\xff\xfe\xfd,1\n",
            "orders.csv: encoding could not be detected",
        ),
    ],
    ids=["empty", "header-only", "utf16", "binary", "undetectable"],
)
def test_unreadable_files_block(tmp_path, capsys, monkeypatch, content, message) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": content})
    code, _, err = run(capsys, monkeypatch, str(tmp_path))
    assert code == 1
    assert message in err


def test_unknown_table_is_a_warning(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": ORDERS, "invoices.csv": "a,b\n1,2\n"})
    code, out, _ = run(capsys, monkeypatch, str(tmp_path))
    assert code == 0
    assert "unknown table 'invoices.csv': ignored; expected one of customers, contacts" in out


def test_mapping_to_missing_column(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": ORDERS})
    mapping = tmp_path / "my_mapping.yml"
    mapping.write_text("tables:\n  orders:\n    columns:\n      order_id: ordr_id\n"
                       "      Betrag: amount\n", encoding="utf-8")  # fmt: skip
    code, _, err = run(capsys, monkeypatch, str(tmp_path), "--mapping", str(mapping))
    assert code == 1
    assert ("my_mapping.yml: tables.orders.columns.order_id -> 'ordr_id': no such column in "
            "table orders; expected one of order_id, customer_id") in err  # fmt: skip
    assert ("my_mapping.yml: tables.orders.columns: header 'Betrag' not found in orders.csv; "
            "found headers: order_id, customer_id") in err  # fmt: skip


def test_gb18030_chinese_headers_with_mapping_subprocess(tmp_path: Path) -> None:
    orders = ("订单编号,客户编号,下单日期,订单金额\nD001,00001,2026年5月1日,\"¥1,000\"\n"
              "D002,00002,2026/05/02,20\n")  # fmt: skip
    write_export(tmp_path, {"订单.csv": orders.encode("gb18030")})
    mapping = tmp_path / "mapping.yaml"  # picked up from the export folder
    mapping.write_text(
        "tables:\n  orders:\n    file: 订单\n    columns:\n      订单编号: order_id\n"
        "      客户编号: customer_id\n      下单日期: order_date\n      订单金额: amount\n",
        encoding="utf-8",
    )
    report = tmp_path / "out" / "quality.json"
    proc = run_subprocess(str(tmp_path), "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["tables"]["orders"]["encoding"] == "gb18030"
    assert data["tables"]["orders"]["rows_kept"] == 2
    assert data["tables"]["orders"]["renamed"]["订单金额"] == "amount"
    assert data["summary"]["tasks"] == ["churn", "repurchase"]


def test_parquet_export(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    pd.read_csv(pd.io.common.StringIO(ORDERS), dtype=str).to_parquet(tmp_path / "orders.parquet")
    code, out, err = run(capsys, monkeypatch, str(tmp_path), "--as-of", "2026-06-30")
    assert code == 0, err
    assert "orders.parquet" in out and "as of 2026-06-30 (from --as-of)" in out


def test_salesforce_mapping(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    account = (
        "Id,Name,Industry,BillingState,BillingCity,CreatedDate,OwnerId,Rating\n"
        "001A,Acme Inc.,Retail,CA,LA,2024-01-02T10:00:00.000+0000,005X,Hot\n"
        '001B,"ACME, LLC",Retail,CA,LA,2025-01-02T10:00:00.000+0000,005X,Cold\n'
    )
    opportunity = ("Id,AccountId,CloseDate,Amount,StageName,Type\n"
                   "006A,001A,2026-03-01,1000,Closed Won,New Business\n"
                   "006B,001B,2026-04-01,500,Closed Won,Existing Business\n")  # fmt: skip
    write_export(tmp_path, {"Account.csv": account, "Opportunity.csv": opportunity})
    report = tmp_path / "q.json"
    code, out, err = run(capsys, monkeypatch, str(tmp_path), "--mapping", str(SALESFORCE),
                         "--report", str(report))  # fmt: skip
    assert code == 0, err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["tables"]["orders"]["file"] == "Opportunity.csv"
    assert data["tables"]["customers"]["dropped_headers"] == ["Rating"]
    assert data["duplicates"]["clusters"][0]["canonical"] == "001A"
    assert data["summary"]["warnings_by_kind"].get("unexpected_category") is None  # Closed Won
    # objects not in this export are absent tables, not errors
    messages = " ".join(w["message"] for w in data["warnings"])
    assert "salesforce.yaml: tables.tickets.file: 'Case' not found" in messages
    assert "buildable tasks: churn, repurchase" in out


def test_report_files_written(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    full_export(tmp_path / "raw")
    report = tmp_path / "reports" / "quality.json"
    code, out, _ = run(capsys, monkeypatch, str(tmp_path / "raw"), "--report", str(report))
    assert code == 0
    for suffix in (".json", ".md", ".html"):
        assert report.with_suffix(suffix).is_file()
        assert f"wrote {report.with_suffix(suffix)}" in out


def test_blocked_export_still_writes_its_report(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path / "raw", {"customers.csv": CUSTOMERS})
    report = tmp_path / "quality.json"
    code, _, err = run(capsys, monkeypatch, str(tmp_path / "raw"), "--report", str(report))
    assert code == 1 and "nothing can be built" in err
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["status"] == "blocked"


def test_as_of_required(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    write_export(tmp_path, {"orders.csv": ORDERS}, as_of=None)
    code, _, err = run(capsys, monkeypatch, str(tmp_path))
    assert code == 1 and "--as-of is required" in err


def test_help_has_examples(capsys, monkeypatch) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, monkeypatch, "--help")
    assert code == 0
    assert "crmml validate data/raw --report reports/quality.json" in out


def test_sample_export_passes_with_warnings(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    sample = pytest.importorskip("features.sample", reason="crmml demo-data not available yet")
    if not hasattr(sample, "generate_export"):
        pytest.skip("features.sample has no generate_export yet")
    sample.generate_export(tmp_path / "raw", customers=200, seed=3, locale="zh", fmt="csv",
                           as_of=None, drift=None)  # fmt: skip
    report = tmp_path / "quality.json"
    code, _, err = run(capsys, monkeypatch, str(tmp_path / "raw"), "--report", str(report))
    assert code == 0, err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["warnings"] > 0
    assert data["summary"]["tasks"] == ["churn", "repurchase", "lead_score"]
    injected = json.loads((tmp_path / "raw" / "export.json").read_text(encoding="utf-8"))
    future = injected.get("injected", {}).get("future_dated_rows", {}).get("orders")
    if future:
        assert f"{future} orders dated after" in " ".join(w["message"] for w in data["warnings"])
