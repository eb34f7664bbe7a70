"""The data-quality gate: every rule, what it leaves out, the merge of duplicate customers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmml.errors import DataQualityError
from features.config import FeaturesConfig, QualityConfig
from features.quality import load_clean_exports, run_quality_gate
from features.quality_report import write_report
from features.schemas import check_clean_tables
from tests.features.export_files import CUSTOMERS, ORDERS, full_export, write_export

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return run_quality_gate(full_export(tmp_path_factory.mktemp("export")), as_of=AS_OF)


def _warning(result, kind: str, table: str | None = None) -> list[dict]:  # noqa: ANN001
    return [w for w in result.report["warnings"]
            if w["kind"] == kind and (table is None or w["table"] == table)]  # fmt: skip


def test_full_export_passes_with_warnings(gate) -> None:  # noqa: ANN001
    assert gate.blocking == []
    assert gate.exports is not None
    assert gate.tasks == ["churn", "repurchase", "lead_score"]
    assert gate.report["summary"]["status"] == "ok"


def test_future_dated_rows_left_out_after_time_zone_conversion(gate) -> None:  # noqa: ANN001
    orders = gate.exports.tables["orders"]
    # O4 is dated 2026-07-02; O7 at 2026-06-30T20:00Z is 1 July in Asia/Shanghai.
    assert "O4" not in set(orders["order_id"]) and "O7" not in set(orders["order_id"])
    assert "2 orders dated after 2026-06-30 (order_date) left out" in gate.warnings


def test_negative_amounts_and_orphans_left_out(gate) -> None:  # noqa: ANN001
    orders = gate.exports.tables["orders"]
    assert sorted(orders["order_id"]) == ["O1", "O2", "O3"]
    assert "1 orders with negative amount left out" in gate.warnings
    assert "1 orders of unknown customers left out" in gate.warnings


def test_duplicate_companies_merged_and_orders_rewritten(gate) -> None:  # noqa: ANN001
    exports = gate.exports
    # ABC公司 (00101, 2024) and ABC Co. Ltd. (00102, 2023): the oldest id is canonical.
    assert exports.merge_map == {"00101": "00102"}
    customers = exports.tables["customers"]
    assert "00101" not in set(customers["customer_id"])
    orders = exports.tables["orders"].set_index("order_id")
    assert orders.loc["O1", "customer_id"] == "00102"
    assert exports.tables["leads"].set_index("lead_id").loc["L2", "customer_id"] == "00102"
    (cluster,) = gate.report["duplicates"]["clusters"]
    assert cluster["canonical"] == "00102" and sorted(cluster["ids"]) == ["00101", "00102"]
    # a Chinese name and its English translation are not matched; nor are two people 张伟
    assert {"00103", "00104", "00105", "00106"} <= set(customers["customer_id"])


def test_outcome_dates_after_as_of_are_unknown(gate) -> None:  # noqa: ANN001
    t = gate.exports.tables
    assert pd.isna(t["tickets"].set_index("ticket_id").loc["T1", "closed_at"])
    lead = t["leads"].set_index("lead_id").loc["L2"]
    assert pd.isna(lead["converted_at"]) and lead["status"] == "open"
    subs = t["subscriptions"].set_index("subscription_id")
    assert pd.isna(subs.loc["S2", "cancelled_at"])
    # a planned end in the future is legitimate
    assert subs.loc["S1", "end_date"] == pd.Timestamp("2027-01-01")


def test_ranges_and_references(gate) -> None:  # noqa: ANN001
    t = gate.exports.tables
    assert pd.isna(t["tickets"].set_index("ticket_id").loc["T2", "satisfaction"])
    assert pd.isna(t["subscriptions"].set_index("subscription_id").loc["S2", "monthly_fee"])
    assert pd.isna(t["leads"].set_index("lead_id").loc["L3", "customer_id"])
    acts = t["activities"].set_index("activity_id")
    assert sorted(acts.index) == ["A1", "A2"]  # A3 has no owner, A4 an unknown lead
    assert acts.loc["A1", "channel"] == "call"  # 电话


def test_summary_hashes_and_report_sections(gate) -> None:  # noqa: ANN001
    exports = gate.exports
    assert exports.quality["warnings_by_kind"]["future_dated"] >= 1
    assert exports.quality["merged_customers"] == 1
    assert set(exports.file_hashes) == {
        "customers.csv",
        "orders.csv",
        "leads.csv",
        "tickets.csv",
        "subscriptions.csv",
        "activities.csv",
    }
    report = gate.report
    assert report["tables"]["orders"]["rows_read"] == 7
    assert report["tables"]["orders"]["rows_kept"] == 3
    assert report["tables"]["orders"]["latest_date"] == "2026-03-01"
    assert 0 <= report["tables"]["customers"]["missing_rate"]["industry"] <= 1
    json.dumps(report)  # JSON-ready


def test_freshness_warning(gate) -> None:  # noqa: ANN001
    (stale,) = _warning(gate, "stale", "orders")
    assert "latest order_date is 2026-03-01, 121 days before 2026-06-30" in stale["message"]


def test_orders_only_export_derives_customers(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": ORDERS})
    result = run_quality_gate(tmp_path, as_of=AS_OF)
    assert result.blocking == []
    assert result.tasks == ["churn", "repurchase"]
    customers = result.exports.tables["customers"]
    assert "00101" in set(customers["customer_id"])
    assert _warning(result, "derived_customers")


def test_nothing_buildable_blocks(tmp_path: Path) -> None:
    write_export(tmp_path, {"customers.csv": CUSTOMERS})
    result = run_quality_gate(tmp_path, as_of=AS_OF)
    assert result.exports is None and result.tasks == []
    (line,) = result.blocking
    assert "nothing can be built" in line and "churn needs orders" in line


def test_duplicate_keys_kept_first_or_blocking(tmp_path: Path) -> None:
    rows = ORDERS + 'O1,00101,2026-01-05,"1,200.50",A,paid\nO2,00102,2026-02-02,5,A,paid\n'
    write_export(tmp_path, {"orders.csv": rows})
    result = run_quality_gate(tmp_path, as_of=AS_OF)
    assert "orders: 1 exact duplicate rows (same order_id): kept the first" in result.warnings
    assert "orders: 1 rows repeat a order_id with different values: kept the first" in (
        result.warnings
    )
    assert result.exports.tables["orders"].set_index("order_id").loc["O2", "amount"] == 300
    strict = FeaturesConfig(quality=QualityConfig(max_duplicate_key_share=0.1))
    blocked = run_quality_gate(tmp_path, as_of=AS_OF, config=strict)
    assert blocked.blocking == [
        "orders: 44% of rows share a order_id with another row (limit 10%); "
        "is order_id really the row id?"
    ]


def test_required_column_entirely_empty_blocks(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": "order_id,customer_id,order_date,amount\n1,,x,5\n"})
    result = run_quality_gate(tmp_path, as_of=AS_OF)
    assert "orders.csv: required column customer_id: every cell is empty" in result.blocking
    assert "orders.csv: required column order_date: all 1 cells are unparseable" in (
        result.blocking
    )


def test_load_clean_exports_raises_on_blocking(tmp_path: Path) -> None:
    write_export(tmp_path, {"orders.csv": "order_id,customer_id\n1,2\n"})
    with pytest.raises(DataQualityError) as info:
        load_clean_exports(tmp_path, as_of=AS_OF)
    assert info.value.exit_code == 1
    assert any("required column 'order_date' missing" in p for p in info.value.problems)


def test_load_clean_exports_returns_exports(tmp_path: Path) -> None:
    exports = load_clean_exports(full_export(tmp_path), as_of=AS_OF)
    assert exports.as_of == AS_OF and exports.has("orders")


def test_write_report_json_md_html(gate, tmp_path: Path) -> None:  # noqa: ANN001
    paths = write_report(gate.report, tmp_path / "reports" / "quality.json")
    assert [p.name for p in paths] == ["quality.json", "quality.md", "quality.html"]
    assert json.loads(paths[0].read_text(encoding="utf-8"))["as_of"] == "2026-06-30"
    md = paths[1].read_text(encoding="utf-8")
    assert "# Data-quality report" in md and "| orders | orders.csv | 7 | 3 |" in md
    assert "ABC公司" in md  # merged cluster listed
    html = paths[2].read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "2 orders dated after 2026-06-30" in html
    assert not list((tmp_path / "reports").glob(".*"))  # no temp files left behind


def test_clean_tables_match_the_contract_schema(gate) -> None:  # noqa: ANN001
    check_clean_tables(gate.exports.tables)  # raises on a wrong dtype or a missing column
    broken = gate.exports.tables["orders"].assign(amount=lambda d: d["amount"].astype("str"))
    with pytest.raises(Exception, match="amount"):
        check_clean_tables({"orders": broken})


def test_a_row_breaking_several_rules_is_counted_once_by_the_first() -> None:
    from features.findings import Findings
    from features.quality_checks import LeftOut, check_future, check_ranges

    day = pd.Timestamp
    tables = {
        "orders": pd.DataFrame({"order_id": ["O1", "O2", "O3"], "customer_id": ["C1"] * 3,
                                "order_date": [day("2026-07-02"), day("2026-01-02"),
                                               day("2026-01-03")],
                                "amount": [-5.0, -1.0, 10.0]}),
        "tickets": pd.DataFrame({"ticket_id": ["T1", "T2", "T3"], "customer_id": ["C1"] * 3,
                                 "opened_at": [day("2026-07-01"), day("2026-06-01"),
                                               day("2026-06-02")],
                                 "closed_at": [day("2026-07-02"), day("2026-07-03"), pd.NaT],
                                 "satisfaction": [9.0, 4.0, 0.0]}),
    }  # fmt: skip
    findings, left = Findings(), LeftOut()
    check_future(tables, findings, as_of=AS_OF, left=left)
    check_ranges(tables, findings, left=left)
    counts = {(w.kind, w.table): w.count for w in findings.warnings}
    assert counts == {("future_dated", "orders"): 1, ("future_dated", "tickets"): 1,
                      ("future_outcome", "tickets"): 1, ("negative_amount", "orders"): 1,
                      ("out_of_range", "tickets"): 1}  # fmt: skip
    assert len(tables["orders"]) == 3  # nothing dropped until the rows are dropped at once
    kept = left.drop(tables)
    assert tables["orders"]["order_id"].tolist() == ["O3"]
    assert kept["tickets"].tolist() == [False, True, True]
    tickets = tables["tickets"].set_index("ticket_id")
    assert pd.isna(tickets.loc["T2", "closed_at"]) and pd.isna(tickets.loc["T3", "satisfaction"])
    assert left.drop(tables) == {}  # dropped once


@pytest.mark.parametrize(
    ("values", "repeats"),
    [(["O1", "O2", "O3"], False), (["O1", "O2", "O1"], True), (["O1", None, None], False),
     (["O1", "O22", "O1"], True), (["O1", "O22", "O3"], False), (["订单1", "订单2"], False),
     (["订单1", "订单1"], True), ([], False), (["", ""], True), (["O1", "O2", "O2"], True),
     (["O2", "O1", "O3"], False)],
)  # fmt: skip
def test_has_duplicates_same_width_ids_or_not(values: list, repeats: bool) -> None:
    from features.quality_checks import has_duplicates

    series = pd.Series(["X0"] + values, dtype="str")
    assert has_duplicates(series.iloc[1:]) is repeats  # a slice: the values start mid-buffer
    assert has_duplicates(series) is repeats


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 16, 17, 24])
def test_has_duplicates_of_ids_read_in_chunks_of_any_width(width: int) -> None:
    import pyarrow as pa

    from features.quality_checks import has_duplicates

    rng = np.random.default_rng(width)
    ids = ["".join(rng.choice(list("AB01"), width)) for _ in range(300)]
    for values in (ids, sorted(set(ids)), sorted(ids)):  # in key order: repeats are neighbours
        chunks = pa.chunked_array([values[:100], values[100:]], pa.large_string())
        series = pd.Series(pd.arrays.ArrowExtensionArray(chunks))
        assert has_duplicates(series) is bool(series.duplicated().any())
    # Chunks of two widths: "ab" and "ab\0" have one zero-padded key, and differ.
    mixed = pa.chunked_array([["ab", "cd"], ["ab\0", "ef\0"]], pa.large_string())
    assert has_duplicates(pd.Series(pd.arrays.ArrowExtensionArray(mixed))) is False
