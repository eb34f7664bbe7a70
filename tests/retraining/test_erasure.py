"""Erasure: a suppression list of pseudonyms, applied to built training sets."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from features.privacy import pseudonymize
from retraining.erasure import erase, load_suppressed, suppress_training_sets, suppression_path

KEY = b"test-key"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMML_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CRMML_PSEUDONYM_KEY", KEY.decode())
    return tmp_path / "home"


def _ps(raw: str, kind: str = "customer") -> str:
    return str(pseudonymize(pd.Series([raw], dtype="string"), key=KEY, kind=kind).iloc[0])


def test_list_holds_pseudonyms_never_raw_ids(home):
    entries = erase(["CUST-0001", "CUST-0002"])
    text = suppression_path().read_text(encoding="utf-8")
    assert suppression_path() == home / "suppression.json"
    assert "CUST-0001" not in text and "CUST-0002" not in text
    assert {_ps("CUST-0001"), _ps("CUST-0001", "lead")} <= load_suppressed()
    assert [e["new"] for e in entries] == [True, True]
    again = erase(["CUST-0001"])
    assert again[0]["new"] is False
    assert len(json.loads(text)["entries"]) == 2
    assert len(json.loads(suppression_path().read_text())["entries"]) == 2


def test_merged_duplicate_id_maps_to_its_canonical_pseudonym(tmp_path):
    id_map = tmp_path / "id_map.parquet"
    pd.DataFrame(
        {"pseudonym": [_ps("C1")], "raw_id": ["C1-dup"], "canonical_id": ["C1"], "kind": ["c"]}
    ).astype("string").to_parquet(id_map)
    erase(["C1-dup"], id_maps=[id_map])
    assert _ps("C1") in load_suppressed()


def test_no_id_is_a_clear_error():
    with pytest.raises(CrmmlError, match="--customer"):
        erase(["  "])


def test_empty_list_when_nothing_was_erased():
    assert load_suppressed() == set()


def _features_dir(path, ids):
    path.mkdir()
    train = pd.DataFrame(
        {
            "entity_id": pd.array(ids * 2, dtype="string"),
            "x": range(2 * len(ids)),
            "label": [0, 1] * len(ids),
        }
    )
    score = train.drop(columns="label").iloc[: len(ids)]
    train.to_parquet(path / "churn.parquet")
    score.to_parquet(path / "churn.scoring.parquet")
    manifest = {
        "data_hash": "abc",
        "tasks": {
            "churn": {
                "file": "churn.parquet",
                "scoring_file": "churn.scoring.parquet",
                "rows": len(train),
                "label_rate": 0.5,
                "scoring_rows": len(score),
            }
        },
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_training_sets_lose_suppressed_rows_and_change_hash(tmp_path):
    ids = [_ps(f"C{i}") for i in range(5)]
    feats = _features_dir(tmp_path / "f", ids)
    erase(["C1", "C3"])
    removed = suppress_training_sets(feats)
    assert removed == {"churn.parquet": 4, "churn.scoring.parquet": 2}
    train = pd.read_parquet(feats / "churn.parquet")
    assert not train["entity_id"].isin([ids[1], ids[3]]).any() and len(train) == 6
    manifest = json.loads((feats / "manifest.json").read_text())
    assert manifest["tasks"]["churn"]["rows"] == 6
    assert manifest["tasks"]["churn"]["scoring_rows"] == 3
    assert manifest["data_hash"] != "abc"  # a retrain after an erasure is not a duplicate
    assert manifest["data_hash_before_suppression"] == "abc"


def test_nothing_suppressed_leaves_the_set_alone(tmp_path):
    feats = _features_dir(tmp_path / "f", [_ps("C1")])
    assert suppress_training_sets(feats) == {}
    assert json.loads((feats / "manifest.json").read_text())["data_hash"] == "abc"


def _id_map(folder, rows: dict[str, str]) -> None:
    """``raw_id -> canonical_id`` rows of a build's id map (pseudonym of the canonical id)."""
    pd.DataFrame(
        {
            "pseudonym": [_ps(c) for c in rows.values()],
            "raw_id": list(rows),
            "canonical_id": list(rows.values()),
            "kind": "customer",
        }
    ).astype("string").to_parquet(folder / "id_map.parquet")


def test_duplicate_erased_before_the_build_that_merged_it_is_suppressed(tmp_path):
    feats = _features_dir(tmp_path / "f", [_ps("C1"), _ps("C2")])
    _id_map(feats, {"C1": "C1", "C2": "C2", "C1-dup": "C1"})
    erase(["C1-dup"])  # no id map knew the duplicate yet: only its own pseudonyms are listed
    assert _ps("C1") not in load_suppressed()
    removed = suppress_training_sets(feats)
    assert removed == {"churn.parquet": 2, "churn.scoring.parquet": 1}
    train = pd.read_parquet(feats / "churn.parquet")
    assert train["entity_id"].tolist() == [_ps("C2")] * 2


def test_id_maps_of_retrains_and_trained_versions_are_found_outside_the_home(tmp_path, home):
    from mlflow import MlflowClient

    from retraining.erasure import known_id_maps
    from retraining.summary import EXPERIMENT

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    default = home / "runs" / "2026-06-30"
    elsewhere, no_map = tmp_path / "elsewhere", tmp_path / "single_table"
    for folder in (default, elsewhere, no_map):
        folder.mkdir(parents=True)
        _id_map(folder, {"C1-dup": "C1"})
    (no_map / "manifest.json").write_text(json.dumps({"id_map_file": None}))
    exp = client.create_experiment(EXPERIMENT)
    for work in (elsewhere, no_map, tmp_path / "gone"):
        client.log_param(client.create_run(exp).info.run_id, "work", str(work))
    assert known_id_maps(None) == [default / "id_map.parquet"]
    found = known_id_maps(client)
    assert found == sorted([default / "id_map.parquet", elsewhere / "id_map.parquet"])
    erase(["C1-dup"], id_maps=found)
    assert _ps("C1") in load_suppressed()
