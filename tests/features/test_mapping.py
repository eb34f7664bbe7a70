"""The column mapping file: parsing, precise errors, renaming headers."""

from __future__ import annotations

from pathlib import Path

from features.mapping import TableMapping, apply_mapping, canonical_header, load_mapping

GOOD = """tables:
  customers:
    file: 客户
    columns:
      客户编号: customer_id
      客户名称: company_name
"""


def _mapping(tmp_path: Path, text: str):  # noqa: ANN202
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path)


def test_no_mapping_is_empty() -> None:
    mapping = load_mapping(None)
    assert mapping.tables == {} and mapping.problems == []


def test_good_mapping(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, GOOD)
    assert mapping.problems == []
    tm = mapping.for_table("customers")
    assert tm.file == "客户"
    assert tm.columns == {"客户编号": "customer_id", "客户名称": "company_name"}
    assert mapping.table_for_file(Path("客户.csv")) == "customers"
    assert mapping.table_for_file(Path("orders.csv")) is None


def test_unknown_canonical_column_is_named_with_the_expected_ones(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, GOOD.replace("customer_id", "custmer_id"))
    (problem,) = mapping.problems
    assert problem.startswith(
        "mapping.yaml: tables.customers.columns.客户编号 -> 'custmer_id': "
        "no such column in table customers; expected one of customer_id, company_name"
    )


def test_unknown_table(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "tables:\n  clients:\n    columns: {a: b}\n")
    (problem,) = mapping.problems
    assert "tables.clients: no such table; expected one of customers" in problem


def test_malformed_yaml(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "tables:\n  customers: [\n")
    assert mapping.problems[0].startswith("mapping.yaml: not valid YAML")


def test_missing_tables_key_and_missing_file(tmp_path: Path) -> None:
    assert "expected a top-level key 'tables'" in _mapping(tmp_path, "customers: {}\n").problems[0]
    assert "mapping file not found" in load_mapping(tmp_path / "nope.yaml").problems[0]


def test_two_headers_to_one_column(tmp_path: Path) -> None:
    text = "tables:\n  orders:\n    columns:\n      A: amount\n      B: amount\n"
    assert "headers ['A', 'B'] all map to 'amount'" in _mapping(tmp_path, text).problems[0]


def test_apply_renames_passes_canonical_and_drops_the_rest() -> None:
    tm = TableMapping(columns={"客户编号": "customer_id"})
    renames, problems, dropped = apply_mapping(
        ["客户编号", " Company Name ", "备注"], "customers", tm, file_name="c.csv",
        source="m.yaml",
    )  # fmt: skip
    assert renames == {"客户编号": "customer_id", " Company Name ": "company_name"}
    assert problems == [] and dropped == ["备注"]


def test_apply_mapped_header_not_in_file() -> None:
    tm = TableMapping(columns={"客户编号": "customer_id"})
    _, problems, _ = apply_mapping(["编号", "名称"], "customers", tm, file_name="客户.csv",
                                   source="mapping.yaml")  # fmt: skip
    assert problems == [
        "mapping.yaml: tables.customers.columns: header '客户编号' not found in 客户.csv; "
        "found headers: 编号, 名称"
    ]


def test_canonical_header() -> None:
    assert canonical_header("\ufeff Customer ID ") == "customer_id"
    assert canonical_header("order-date") == "order_date"
