"""--locale zh: Chinese headers and file names, GB18030, and the shipped column mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.contract import TABLES
from features.sample import generate_export, zh_mapping, zh_mapping_yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mappings" / "zh.yaml"


@pytest.fixture(scope="module")
def zh_export(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("zh") / "导出"
    return out, generate_export(out, customers=60, seed=4, locale="zh")


def test_shipped_example_is_the_generator_mapping():
    assert EXAMPLE.read_text(encoding="utf-8") == zh_mapping_yaml()
    assert yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) == zh_mapping()


def test_mapping_covers_every_canonical_column():
    tables = zh_mapping()["tables"]
    assert set(tables) == set(TABLES)
    for name, spec in tables.items():
        assert sorted(spec["columns"].values()) == sorted(TABLES[name].column_names)


def test_zh_files_headers_and_encoding(zh_export):
    out, meta = zh_export
    assert (out / "mapping.yaml").read_text(encoding="utf-8") == EXAMPLE.read_text(
        encoding="utf-8"
    )
    assert meta["encoding"] == "gb18030"
    for name, spec in zh_mapping()["tables"].items():
        path = out / f"{spec['file']}.csv"
        assert meta["files"][name] == path.name
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        frame = pd.read_csv(path, encoding="gb18030", dtype=str)
        assert list(frame.columns) == list(spec["columns"])
        renamed = frame.rename(columns=spec["columns"])
        assert tuple(renamed.columns) == TABLES[name].column_names
        assert len(frame) == meta["counts"][name]
    assert not any(p.name.endswith(".csv") and p.stem in TABLES for p in out.iterdir())


def test_zh_values_match_the_en_export(zh_export, tmp_path):
    out, _ = zh_export
    en = tmp_path / "en"
    generate_export(en, customers=60, seed=4)
    spec = zh_mapping()["tables"]["customers"]
    zh = pd.read_csv(out / "客户.csv", encoding="gb18030", dtype=str).rename(
        columns=spec["columns"]
    )
    pd.testing.assert_frame_equal(zh, pd.read_csv(en / "customers.csv", dtype=str))
