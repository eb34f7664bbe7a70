"""The reference check's row positions: right, read-only, dropped for a replaced table, and a
build from them is the build that looks every id up itself."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from features.build import build_training_sets
from features.quality import run_quality_gate
from features.sample.generator import generate_export
from tests.features.export_files import full_export

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return run_quality_gate(full_export(tmp_path_factory.mktemp("export")), as_of=AS_OF)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    out = tmp_path_factory.mktemp("sample")
    meta = generate_export(out, customers=300, seed=11, fmt="parquet")
    return run_quality_gate(out, as_of=dt.date.fromisoformat(meta["as_of"])).exports


def test_codes_are_each_rows_position_in_its_entity_table(small) -> None:  # noqa: ANN001
    ex = small.exports
    entity = {
        "customer_id": list(ex.tables["customers"]["customer_id"]),
        "lead_id": list(ex.tables["leads"]["lead_id"]),
    }
    expected = {("customers", "customer_id"), ("orders", "customer_id"),
                ("activities", "customer_id"), ("activities", "lead_id")}  # fmt: skip
    assert expected <= set(ex.entity_codes)
    for table, column in ex.entity_codes:
        codes = ex.codes(table, column)
        ids = ex.tables[table][column]
        assert codes.tolist() == [-1 if pd.isna(i) else entity[column].index(i) for i in ids]
        assert not codes.flags.writeable  # shared with every build of these exports


def test_codes_of_a_replaced_table_are_not_used(small) -> None:  # noqa: ANN001
    ex = dataclasses.replace(small.exports, tables=dict(small.exports.tables))
    ex.tables["orders"] = ex.tables["orders"].copy()
    assert ex.codes("orders", "customer_id") is None
    assert ex.codes("tickets", "customer_id") is not None
    ex.tables["customers"] = ex.tables["customers"].iloc[::-1].reset_index(drop=True)
    assert ex.codes("tickets", "customer_id") is None  # positions in the old customers table
    assert ex.codes("activities", "lead_id") is not None


def test_a_build_from_the_gates_codes_equals_one_that_looks_ids_up(sample, tmp_path) -> None:  # noqa: ANN001
    assert sample.merge_map and sample.codes("orders", "customer_id") is not None
    lookup = dataclasses.replace(sample, entity_codes={})
    reused = build_training_sets(sample, out=tmp_path / "reused", snapshots=4, key=b"k")
    looked_up = build_training_sets(lookup, out=tmp_path / "looked_up", snapshots=4, key=b"k")
    assert reused == looked_up
    for name in sorted(p.name for p in (tmp_path / "reused").glob("*.parquet")):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "reused" / name),
            pd.read_parquet(tmp_path / "looked_up" / name),
        )
