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
