import json
from datetime import date

import pandas as pd
import pytest

from crmml.errors import CrmmlError
from features.build import build_training_sets, data_hash
from features.config import FeaturesConfig
from features.contract import FEATURE_VERSION
from features.privacy import pseudonymize
from tests.features.pit_data import base_exports, exports, order

KEY = b"test-key"
PII = {
    "Wang Fang",
    "Li Lei",
    "张伟",
    "fang.wang@acme.example",
    "lilei@acme.example",
    "zw@yunfan.example",
    "+86 138 0000 1111",
    "13900002222",
    "010-5555-6666",
    "Acme Trading Co",
    "北京云帆科技有限公司",
    "ACME trading co",
    "Zeta GmbH",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "features"
    manifest = build_training_sets(base_exports(), out=out, snapshots=12, every="1M", key=KEY)
    return out, manifest


def test_files_and_manifest_fields(built):
    out, m = built
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "merge_map.json", "id_map.parquet"]
        + [
            f"{t}{s}"
            for t in ("churn", "repurchase", "lead_score")
            for s in (".parquet", ".scoring.parquet")
        ]
    )
    assert json.loads((out / "manifest.json").read_text()) == m
    assert m["feature_version"] == FEATURE_VERSION and m["source"] == "events"
    assert m["split"] == "time" and m["as_of"] == "2024-12-31"
    assert m["timezone"] == "Asia/Shanghai" and len(m["data_hash"]) == 64
    assert m["inputs"]["orders.csv"] == "0" * 64 and m["quality"] == {"warnings": 0}
    assert m["merge_map_file"] == "merge_map.json" and "id_map.parquet" in m["private_files"]
    churn = m["tasks"]["churn"]
    assert churn["window_days"] == 90 and len(churn["snapshots"]) == 12
    assert churn["snapshots"][-1]["as_of"] == "2024-10-02"
    assert len(churn["snapshot_dates"]) == 12 and churn["snapshot_dates"][-1] == "2024-10-02"
    assert churn["sensitive"] == ["sensitive__gender", "sensitive__age", "sensitive__age_band"]
    recency = next(f for f in churn["features"] if f["name"] == "days_since_last_order")
    assert recency["monotone"] == 1 and "{value" in recency["phrase"] and recency["description"]
    rep = next(
        f for f in m["tasks"]["repurchase"]["features"] if f["name"] == "days_since_last_order"
    )
    assert rep["monotone"] == -1
    # Nested windows: only the shortest carries a direction (LightGBM holds the others fixed).
    windows = {f["name"]: f.get("monotone") for f in churn["features"]}
    assert windows["orders_30d"] == windows["spend_30d"] == -1
    assert windows["orders_365d"] is None and windows["spend_90d"] is None
    assert m["tasks"]["lead_score"]["sensitive"] == ["sensitive__region"]


def test_training_rows_are_point_in_time(built):
    out, m = built
    for info in m["tasks"].values():
        train = pd.read_parquet(out / info["file"])
        scoring = pd.read_parquet(out / info["scoring_file"])
        assert train["label"].dtype == "int64" and set(train["label"]) <= {0, 1}
        assert train["as_of"].max() + pd.Timedelta(days=info["window_days"]) <= pd.Timestamp(
            "2024-12-31"
        )
        assert (scoring["as_of"] == pd.Timestamp("2024-12-31")).all()
        assert "label" not in scoring
        assert list(scoring.columns) == [c for c in train.columns if c != "label"]
        assert info["rows"] == len(train) and info["scoring_rows"] == len(scoring)
        assert not train.duplicated(["entity_id", "as_of"]).any()


def test_entity_ids_are_pseudonyms_and_maps_lead_back(built):
    out, m = built
    churn = pd.read_parquet(out / "churn.parquet")
    raw = {"C1", "C2", "C3", "C4", "C5"}
    assert not raw & set(churn["entity_id"])
    c1 = pseudonymize(pd.Series(["C1"]), key=KEY, kind="customer").iloc[0]
    assert c1 in set(churn["entity_id"])
    merge = json.loads((out / "merge_map.json").read_text())
    assert merge["C1-dup"] == merge["C1"] == c1
    id_map = pd.read_parquet(out / "id_map.parquet")
    back = id_map[id_map["pseudonym"] == c1]
    assert set(back["raw_id"]) == {"C1", "C1-dup"} and set(back["canonical_id"]) == {"C1"}
    lead_ids = set(pd.read_parquet(out / "lead_score.parquet")["entity_id"])
    assert all(e.startswith("l_") for e in lead_ids)


def test_no_pii_in_any_training_or_scoring_set(built):
    out, m = built
    for info in m["tasks"].values():
        for name in (info["file"], info["scoring_file"]):
            df = pd.read_parquet(out / name)
            assert not {"full_name", "email", "phone", "company_name"} & set(df.columns)
            values = {str(v) for v in df.astype("string").to_numpy().ravel()}
            assert not values & PII, name


def test_data_hash_depends_on_inputs_config_and_snapshots():
    ex = base_exports()
    cfg = FeaturesConfig()
    h = data_hash(ex, cfg, {"churn": ["2024-01-01"]})
    assert h == data_hash(ex, cfg, {"churn": ["2024-01-01"]})
    assert h != data_hash(ex, FeaturesConfig(churn={"window_days": 60}), {"churn": ["2024-01-01"]})
    assert h != data_hash(ex, cfg, {"churn": ["2024-02-01"]})
    ex.file_hashes["orders.csv"] = "1" * 64
    assert h != data_hash(ex, cfg, {"churn": ["2024-01-01"]})


def test_task_selection_and_errors(tmp_path):
    m = build_training_sets(base_exports(), out=tmp_path / "a", tasks=["lead_score"], key=KEY)
    assert list(m["tasks"]) == ["lead_score"]
    with pytest.raises(CrmmlError) as err:
        build_training_sets(base_exports(), out=tmp_path / "b", tasks=["nope"], key=KEY)
    assert "unknown task 'nope'" in err.value.lines()[0]
    orders_only = exports(orders=[order("1", "a", "2024-06-01"), order("2", "a", "2024-11-01")])
    with pytest.raises(CrmmlError, match="needs table"):
        build_training_sets(orders_only, out=tmp_path / "c", tasks=["lead_score"], key=KEY)
    m = build_training_sets(orders_only, out=tmp_path / "d", key=KEY, snapshots=3)
    assert sorted(m["tasks"]) == ["churn", "repurchase"]
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_history_too_short_is_a_clear_error(tmp_path):
    ex = exports(as_of="2024-12-31", orders=[order("1", "a", "2024-12-01")])
    with pytest.raises(CrmmlError) as err:
        build_training_sets(ex, out=tmp_path / "o", key=KEY, snapshots=2)
    assert any("history is shorter" in line for line in err.value.lines())


def test_progress_bar_runs(tmp_path):
    m = build_training_sets(
        base_exports(), out=tmp_path / "o", key=KEY, snapshots=2, every="2W", progress=True
    )
    dates = [s["as_of"] for s in m["tasks"]["churn"]["snapshots"]]
    assert dates == [str(date(2024, 9, 18)), str(date(2024, 10, 2))]
