import json

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from features.output import write_training_sets


def _frames(n: int = 4):
    train = pd.DataFrame(
        {
            "entity_id": [f"c_{i}" for i in range(n)],  # all distinct: no dictionary
            "as_of": pd.to_datetime(["2024-01-31", "2024-01-31", "2024-02-29", "2024-02-29"][:n]),
            "x": [1, 2, 3, 4][:n],
            "color": pd.Series(["a", "b", "a", None][:n], dtype="category"),
            "sensitive__gender": ["f", "m", "f", "m"][:n],
            "label": [1, 0, 0, 0][:n],
        }
    )
    scoring = train.drop(columns="label").iloc[:2].assign(as_of=pd.Timestamp("2024-05-31"))
    return {"single": (train, scoring)}


def test_writes_files_stats_and_dtypes(tmp_path):
    out = tmp_path / "out"
    manifest = write_training_sets(
        out,
        frames=_frames(),
        manifest={"source": "single_table", "split": "random"},
        extra_files={"notes.bin": b"hi", "ids.parquet": pd.DataFrame({"a": ["1"]})},
    )
    entry = manifest["tasks"]["single"]
    assert entry["file"] == "single.parquet" and entry["scoring_file"] == "single.scoring.parquet"
    assert (entry["rows"], entry["label_rate"], entry["scoring_rows"]) == (4, 0.25, 2)
    assert entry["snapshots"] == [
        {"as_of": "2024-01-31", "rows": 2, "label_rate": 0.5},
        {"as_of": "2024-02-29", "rows": 2, "label_rate": 0.0},
    ]
    assert entry["sensitive"] == ["sensitive__gender"] and entry["drop_after_outcome"] == []
    kinds = {f["name"]: f["kind"] for f in entry["features"]}
    assert kinds == {"x": "numeric", "color": "categorical"}
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert (out / "notes.bin").read_bytes() == b"hi" and (out / "ids.parquet").is_file()
    train = pd.read_parquet(out / "single.parquet")
    assert train["label"].dtype == "int64" and train["as_of"].dtype == "datetime64[ns]"
    assert pd.api.types.is_string_dtype(train["color"])
    assert not isinstance(train["color"].dtype, pd.CategoricalDtype)
    assert "label" not in pd.read_parquet(out / "single.scoring.parquet").columns


def test_given_feature_specs_are_kept(tmp_path):
    specs = [{"name": "x", "kind": "numeric", "description": "X", "phrase": "x {value}"}]
    manifest = write_training_sets(
        tmp_path / "o", frames=_frames(), manifest={"tasks": {"single": {"features": specs}}}
    )
    assert manifest["tasks"]["single"]["features"] == specs


def test_failure_leaves_previous_out_intact(tmp_path):
    out = tmp_path / "out"
    write_training_sets(out, frames=_frames(), manifest={"run": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = _frames()
    bad["broken"] = (bad["single"][0].drop(columns="label"), bad["single"][1])
    with pytest.raises(CrmmlError, match="broken training set: missing column"):
        write_training_sets(out, frames=bad, manifest={"run": 2})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folder left


def test_replaces_previous_run_completely(tmp_path):
    out = tmp_path / "out"
    write_training_sets(out, frames=_frames(), manifest={}, extra_files={"old.txt": b"x"})
    frames = _frames()
    write_training_sets(out, frames={"other": frames["single"]}, manifest={})
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "other.parquet",
        "other.scoring.parquet",
    ]


def test_refuses_to_replace_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(CrmmlError, match="refusing to replace"):
        write_training_sets(tmp_path, frames=_frames(), manifest={})
    assert (tmp_path / "mine.txt").read_text() == "precious"
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(CrmmlError, match="not a folder"):
        write_training_sets(target, frames=_frames(), manifest={})


def test_many_valued_columns_are_written_without_a_dictionary(tmp_path):
    import numpy as np
    import pyarrow.parquet as pq

    from features.output import DICTIONARY_MAX_VALUES

    n = 2 * DICTIONARY_MAX_VALUES
    train = pd.DataFrame(
        {
            "entity_id": [f"c_{i}" for i in range(n)],  # all distinct: no dictionary
            "as_of": pd.Timestamp("2024-01-31"),
            "amount": np.arange(n) / 7,  # all distinct: no dictionary
            "orders": np.arange(n) % 5 * 1.0,  # few values: a dictionary
            "region": [["north", "south"][i % 2] for i in range(n)],
            "label": np.arange(n) % 2,
        }
    )
    frames = {"t": (train, train.drop(columns="label"))}
    write_training_sets(tmp_path / "out", frames=frames, manifest={})
    for name in ("t.parquet", "t.scoring.parquet"):
        path = tmp_path / "out" / name
        group = pq.ParquetFile(path).metadata.row_group(0)
        dictionary = {
            group.column(i).path_in_schema: group.column(i).has_dictionary_page
            for i in range(group.num_columns)
        }
        assert dictionary["amount"] is False and dictionary["entity_id"] is False
        assert dictionary["orders"] and dictionary["region"]
        back = pd.read_parquet(path)
        assert back["amount"].tolist() == train["amount"].tolist()
        assert back["orders"].tolist() == train["orders"].tolist()
        assert back["entity_id"].tolist() == train["entity_id"].tolist()
