"""Reading export folders: as-of date, encodings, delimiters, Parquet, typing of columns."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from features.findings import Findings
from features.ingest import ingest, resolve_as_of
from features.mapping import load_mapping
from features.readers import ReadProblem, detect_encoding, read_file
from tests.features.export_files import CUSTOMERS, ORDERS, write_export


def _ingest(folder: Path, mapping: Path | None = None):  # noqa: ANN202
    findings = Findings()
    result = ingest(folder, mapping=load_mapping(mapping), tz="Asia/Shanghai", findings=findings)
    return result, findings


# -- as-of date ------------------------------------------------------------------------------
def test_as_of_given_wins(tmp_path: Path) -> None:
    write_export(tmp_path, {}, as_of="2026-01-31")
    assert resolve_as_of(tmp_path, "2026-06-30") == dt.date(2026, 6, 30)
    assert resolve_as_of(tmp_path, None) == dt.date(2026, 1, 31)


def test_as_of_bad_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(CrmmlError, match="--as-of '30/06/2026': not a date; expected YYYY-MM-DD"):
        resolve_as_of(tmp_path, "30/06/2026")


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(CrmmlError, match="nope: export folder not found"):
        resolve_as_of(tmp_path / "nope", None)


def test_as_of_required_without_export_json(tmp_path: Path) -> None:
    with pytest.raises(CrmmlError, match="--as-of is required: .* no export.json"):
        resolve_as_of(tmp_path, None)
    (tmp_path / "export.json").write_text(json.dumps({"rows": 3}))
    with pytest.raises(CrmmlError, match="export.json: expected a JSON object"):
        resolve_as_of(tmp_path, None)


# -- encodings and delimiters ----------------------------------------------------------------
def test_encodings_detected(tmp_path: Path) -> None:
    text = "客户编号,客户名称\n" + "".join(
        f"{i:05d},北京华信科技有限公司{i}\n" for i in range(5000)
    )
    cases = {"utf8.csv": text.encode("utf-8"), "bom.csv": text.encode("utf-8-sig"),
             "gb.csv": text.encode("gb18030")}  # fmt: skip
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    assert detect_encoding(tmp_path / "utf8.csv") == "utf-8"
    assert detect_encoding(tmp_path / "bom.csv") == "utf-8-sig"
    # > 64 KiB: the sample is cut at a line end, not in the middle of a character
    assert detect_encoding(tmp_path / "gb.csv") == "gb18030"
    frame = read_file(tmp_path / "gb.csv").frame
    assert list(frame.columns) == ["客户编号", "客户名称"]
    assert frame.iloc[0].tolist() == ["00000", "北京华信科技有限公司0"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a,b\n1,2\n".encode("utf-16"), "encoded as UTF-16/UTF-32, which is not supported"),
        (bytes(range(256)) * 40, "binary data, not a CSV text file"),
        (b"", "empty file (no header row)"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    with pytest.raises(ReadProblem, match=re.escape(message)):
        read_file(path)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiters_sniffed(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS.replace(",", sep) if sep != "," else ORDERS, encoding="utf-8")
    raw = read_file(path)
    assert raw.delimiter == sep
    assert raw.frame.columns[0] == "order_id"


# -- typing ----------------------------------------------------------------------------------
def test_columns_typed_by_the_contract(tmp_path: Path) -> None:
    write_export(tmp_path, {"customers.csv": CUSTOMERS, "orders.csv": ORDERS})
    result, findings = _ingest(tmp_path)
    assert findings.blocking == []
    orders = result.tables["orders"]
    assert orders["customer_id"].tolist()[:2] == ["00101", "00102"]  # leading zeros kept
    assert pd.api.types.is_string_dtype(orders["customer_id"].dtype)
    assert orders["amount"].dtype == "float64"
    assert orders["amount"].tolist()[:3] == [1200.5, 300.0, 80.0]  # "1,200.50", ¥80
    assert orders["status"].tolist()[:2] == ["paid", "paid"]  # "Paid" respelled
    assert str(orders["order_date"].dtype).startswith("datetime64")
    # absent optional columns exist, empty and typed
    customers = result.tables["customers"]
    assert customers["birth_year"].dtype == "float64" and customers["birth_year"].isna().all()
    # ties go to the first spelling in sort order: 北京 / Beijing -> beijing, 广东省 / 广东 -> 广东
    assert customers["region"].tolist() == [
        "beijing",
        "beijing",
        "shanghai",
        "shanghai",
        "广东",
        "广东",
    ]
    assert any("column region: 4 values respelled" in n for n in findings.info)
    assert set(result.file_hashes) == {"customers.csv", "orders.csv"}
    assert all(len(h) == 64 for h in result.file_hashes.values())


def test_bools_and_numbers(tmp_path: Path) -> None:
    contacts = "contact_id,customer_id,is_decision_maker\n1,1,是\n2,1,no\n3,1,TRUE\n4,1,maybe\n"
    write_export(tmp_path, {"contacts.csv": contacts})
    result, findings = _ingest(tmp_path)
    values = result.tables["contacts"]["is_decision_maker"]
    assert values.dtype == "boolean"
    assert values.tolist()[:3] == [True, False, True] and pd.isna(values.iloc[3])
    (w,) = [w for w in findings.warnings if w.kind == "unparseable"]
    assert w.count == 1 and "'maybe'" in w.message


def test_parquet_table(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "order_id": [1, 2], "customer_id": ["007", "008"],
        "order_date": pd.to_datetime(["2026-06-30T20:00:00Z", "2026-01-01T00:00:00Z"]),
        "amount": [10, 20.5],
    })  # fmt: skip
    frame.to_parquet(tmp_path / "orders.parquet")
    result, findings = _ingest(tmp_path)
    assert findings.blocking == []
    orders = result.tables["orders"]
    assert orders["order_id"].tolist() == ["1", "2"]
    assert orders["order_date"].iloc[0] == pd.Timestamp("2026-07-01")  # UTC -> Shanghai
    assert result.info["orders"]["format"] == "parquet"


def test_parquet_categories_are_read_as_categoricals_in_event_tables(tmp_path: Path) -> None:
    orders = pd.DataFrame({
        "OrderNo": ["1", "2", "3"], "customer_id": ["C1", "C2", "C1"],
        "order_date": ["2026-01-01"] * 3, "amount": [10.0, 20.0, 5.0],
        "Status": ["Paid", "已退款", None], "product_category": [1, 2, 1],
    })  # fmt: skip
    orders.to_parquet(tmp_path / "orders.parquet")
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "region": ["北京", "Beijing"]})
    customers.to_parquet(tmp_path / "customers.parquet")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  orders:\n    columns: {OrderNo: order_id, Status: status}\n")
    result, findings = _ingest(tmp_path, mapping)
    assert findings.blocking == []
    status = result.tables["orders"]["status"]
    assert isinstance(status.dtype, pd.CategoricalDtype)  # read from the file's dictionary
    assert status.astype("str").tolist()[:2] == ["paid", "refunded"] and pd.isna(status.iloc[2])
    numbers = result.tables["orders"]["product_category"]  # not text in the file: read as is
    assert numbers.astype("str").tolist() == ["1", "2", "1"]
    region = result.tables["customers"]["region"]  # customers keep text for the training sets
    assert str(region.dtype) == "str" and region.tolist() == ["beijing", "beijing"]
    assert read_file(tmp_path / "orders.parquet", as_category=["Status"]).frame[
        "Status"
    ].dtype == pd.CategoricalDtype(["Paid", "已退款"])


def test_unknown_files_are_warnings_and_side_files_ignored(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": ORDERS, "notes.md": "# hi", "foo.csv": "a\n1\n",
                            "config.yaml": "a: 1"})  # fmt: skip
    result, findings = _ingest(tmp_path)
    assert list(result.tables) == ["orders"]
    (w,) = findings.warnings
    assert w.kind == "unknown_table"
    assert w.message.startswith("unknown table 'foo.csv': ignored; expected one of customers,")


def test_mapping_with_chinese_headers_and_gb18030(tmp_path: Path) -> None:
    text = "客户编号,客户名称,备注\n00001,华信科技,VIP\n00002,北京ABC公司,\n"
    write_export(tmp_path, {"客户.csv": text.encode("gb18030")})
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tables:\n  customers:\n    file: 客户\n    columns:\n      客户编号: customer_id\n"
        "      客户名称: company_name\n", encoding="utf-8",
    )  # fmt: skip
    result, findings = _ingest(tmp_path, mapping)
    assert findings.blocking == []
    customers = result.tables["customers"]
    assert customers["customer_id"].tolist() == ["00001", "00002"]
    assert customers["company_name"].tolist() == ["华信科技", "北京ABC公司"]
    assert result.info["customers"]["encoding"] == "gb18030"
    assert any("columns not in the contract dropped: 备注" in n for n in findings.info)


def test_two_files_for_one_table_block(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": ORDERS})
    pd.read_csv(tmp_path / "orders.csv", dtype=str).to_parquet(tmp_path / "orders.parquet")
    _, findings = _ingest(tmp_path)
    assert findings.blocking == [
        "table orders: 2 files (orders.csv, orders.parquet); keep one file per table"
    ]


def test_excel_workbook_is_named_as_such(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": ORDERS, "customers.xlsx": b"PK\x03\x04"})
    _, findings = _ingest(tmp_path)
    (w,) = findings.warnings
    assert "'customers.xlsx': Excel workbooks are not read; save each sheet as CSV UTF-8" in (
        w.message
    )
