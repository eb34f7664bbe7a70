import json
import os
import time

import pandas as pd

from serving.entities import ScoringSetStore
from tests.serving.registry_fixture import write_scoring_dir


def test_lookup_known_unknown_and_raw_ids(tmp_path, monkeypatch):
    from features.privacy import pseudonymize

    monkeypatch.setenv("CRMML_PSEUDONYM_KEY", "test-key")
    out = write_scoring_dir(tmp_path / "features")
    df = pd.read_parquet(out / "churn.scoring.parquet")
    raw = ["CUST-1", "CUST-2"]
    df.loc[:1, "entity_id"] = list(pseudonymize(pd.Series(raw), key=b"test-key", kind="customer"))
    df.to_parquet(out / "churn.scoring.parquet", index=False)
    store = ScoringSetStore(out)
    recs, version = store.records("churn", ["e0005", "ghost", "CUST-2"])
    assert version == "1"
    assert recs[0]["entity_id"] == "e0005" and recs[1] is None
    assert recs[2]["entity_id"] == df.loc[1, "entity_id"]
    assert "as_of" not in recs[0] and not any(k.startswith("sensitive__") for k in recs[0])


def test_reloads_when_a_newer_set_appears(tmp_path):
    out = write_scoring_dir(tmp_path / "features")
    store = ScoringSetStore(out)
    assert store.records("churn", ["e0001"])[0][0] is not None
    df = pd.read_parquet(out / "churn.scoring.parquet")
    df["entity_id"] = "new-" + df["entity_id"]
    df.to_parquet(out / "churn.scoring.parquet", index=False)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps(manifest | {"as_of": "2026-07-31"}))
    later = time.time() + 5
    os.utime(out / "manifest.json", (later, later))
    recs, _ = store.records("churn", ["e0001", "new-e0001"])
    assert recs[0] is None and recs[1] is not None
