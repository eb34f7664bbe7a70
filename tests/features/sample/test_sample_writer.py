"""Parquet output and atomic writing: no half export, nothing overwritten that is not ours."""

from __future__ import annotations

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from features.contract import TABLES
from features.sample import generate_export, writer


def test_parquet_has_the_same_tables(tmp_path):
    meta = generate_export(tmp_path / "pq", customers=40, seed=6, fmt="parquet")
    generate_export(tmp_path / "csv", customers=40, seed=6)
    for name, table in TABLES.items():
        frame = pd.read_parquet(tmp_path / "pq" / f"{name}.parquet")
        assert tuple(frame.columns) == table.column_names
        assert len(frame) == meta["counts"][name]
    pq = pd.read_parquet(tmp_path / "pq" / "orders.parquet")
    csv = pd.read_csv(tmp_path / "csv" / "orders.csv", dtype={"order_id": str})
    assert pq["amount"].tolist() == csv["amount"].tolist()
    again = generate_export(tmp_path / "pq2", customers=40, seed=6, fmt="parquet")
    assert again["counts"] == meta["counts"]
    for name in TABLES:
        assert (tmp_path / "pq2" / f"{name}.parquet").read_bytes() == (
            tmp_path / "pq" / f"{name}.parquet"
        ).read_bytes()


def test_refuses_a_folder_with_other_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(CrmmlError, match="notes.txt"):
        generate_export(out, customers=20, seed=1)
    assert (out / "notes.txt").read_text() == "keep me"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(CrmmlError, match="expected a folder"):
        generate_export(tmp_path / "file", customers=20, seed=1)


def test_replaces_a_previous_export_as_a_whole(tmp_path):
    out = tmp_path / "e"
    generate_export(out, customers=20, seed=1)
    generate_export(out, customers=20, seed=1, locale="zh")
    names = {p.name for p in out.iterdir()}
    assert "订单.csv" in names and "orders.csv" not in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e"]


def test_a_failure_leaves_no_half_export(tmp_path, monkeypatch):
    calls = []

    def failing(table, path, *, encoding):
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        path.write_text("partial")

    monkeypatch.setattr(writer, "_write_csv", failing)
    with pytest.raises(CrmmlError, match="could not write"):
        generate_export(tmp_path / "e", customers=20, seed=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", range(4))
def test_tiny_exports_write_every_table(tmp_path, seed):
    # Ten customers can leave a table empty (no subscription drawn): it is still written.
    meta = generate_export(tmp_path / "t", customers=10, seed=seed, locale="zh", fmt="parquet")
    assert set(meta["files"]) == set(TABLES)
    for name, file in meta["files"].items():
        assert len(pd.read_parquet(tmp_path / "t" / file)) == meta["counts"][name]
