import json
import shutil

import numpy as np
import pandas as pd
import pytest

from crmml.errors import CrmmlError
from serving.batch import score_file
from tests.serving.registry_fixture import frame


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.drop(columns=["as_of"]).to_json(orient="records"))


def test_parquet_in_chunks_equals_online(churn_champion, tmp_path):
    scorer = churn_champion.scorer
    df, _ = frame(n=50, seed=4)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df.to_parquet(src, index=False)
    seen = []
    rows = score_file(
        src,
        out,
        scorer=scorer,
        chunk_rows=7,
        with_reasons=True,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert rows == 50 and seen[-1] == (50, 50) and len(seen) == 8
    got = pd.read_parquet(out)
    assert list(got.columns) == ["entity_id", "score", "tier", "model_version", "reasons"]
    online = scorer.score_records(_records(df))
    np.testing.assert_allclose(got["score"], [p["score"] for p in online], rtol=1e-12)
    assert [json.loads(r) for r in got["reasons"]] == [p["reasons"] for p in online]
    assert set(got["model_version"]) == {"1"}


def test_csv_in_csv_out(churn_champion, tmp_path):
    df, _ = frame(n=20, seed=5)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(src, index=False)
    score_file(src, out, scorer=churn_champion.scorer, chunk_rows=1000)
    got = pd.read_csv(out)
    expected = churn_champion.scorer.score_frame(df)
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9)
    assert list(got["entity_id"]) == list(df["entity_id"])


def test_failures_leave_no_output(churn_champion, tmp_path):
    df, _ = frame(n=5)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df.drop(columns=["plan"]).to_parquet(src, index=False)
    with pytest.raises(CrmmlError, match=r"missing column\(s\) \['plan'\]"):
        score_file(src, out, scorer=churn_champion.scorer)
    with pytest.raises(CrmmlError, match="expected a .parquet or .csv"):
        score_file(src, tmp_path / "out.xlsx", scorer=churn_champion.scorer)
    df.assign(feature_version="0").to_parquet(src, index=False)
    with pytest.raises(CrmmlError, match="feature version"):
        score_file(src, out, scorer=churn_champion.scorer)
    assert list(tmp_path.iterdir()) == [src]


def test_manifest_feature_version_is_checked(churn_champion, tmp_path):
    df, _ = frame(n=5)
    df.to_parquet(tmp_path / "churn.scoring.parquet", index=False)
    (tmp_path / "manifest.json").write_text('{"feature_version": "2"}', encoding="utf-8")
    with pytest.raises(CrmmlError, match="built by feature version '2'"):
        score_file(
            tmp_path / "churn.scoring.parquet",
            tmp_path / "o.parquet",
            scorer=churn_champion.scorer,
        )


def test_tags_and_raw_ids_are_added(churn_champion, tmp_path):
    from serving.tags import TagRule

    df, _ = frame(n=30, seed=6)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df.to_parquet(src, index=False)
    id_map = tmp_path / "id_map.parquet"
    pd.DataFrame(
        {
            "pseudonym": df["entity_id"],
            "raw_id": [f"RAW{i}" for i in range(len(df))],
            "canonical_id": [f"RAW{i}" for i in range(len(df))],
            "kind": "customer",
        }
    ).to_parquet(id_map, index=False)
    rules = [TagRule(name="risky", task="churn", when="score >= 0.5")]
    score_file(
        src, out, scorer=churn_champion.scorer, task="churn", tag_rules=rules, id_map=id_map
    )
    got = pd.read_parquet(out)
    assert list(got["raw_id"]) == [f"RAW{i}" for i in range(len(df))]
    assert ((got["tags"] == "risky") == (got["score"] >= 0.5)).all()
    assert set(got["tags"]) <= {"risky", ""}


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_big_inputs_score_through_compiled_trees_with_the_same_output(tmp_path, monkeypatch):
    import models.native
    from serving.champion import load_champion
    from serving.config import ServingConfig
    from tests.serving.registry_fixture import register

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    register(uri, task="churn", family="lgbm", seed=2)
    champ = load_champion(ServingConfig(), task="churn", tracking_uri=uri)
    df, _ = frame(n=300, seed=6)
    src = tmp_path / "in.parquet"
    df.to_parquet(src, index=False)
    plain, native = tmp_path / "plain.parquet", tmp_path / "native.parquet"
    score_file(src, plain, scorer=champ.scorer, chunk_rows=100)
    notes: list[str] = []
    cache = tmp_path / "compiled"
    score_file(src, native, scorer=champ.scorer, native_cache=cache, on_note=notes.append)
    assert notes == ["LightGBM predict: small input, trees not compiled"]
    monkeypatch.setattr(models.native, "COMPILE_MIN_ROWS", 100)  # as if the input were big
    score_file(src, native, scorer=champ.scorer, native_cache=cache, on_note=notes.append)
    assert notes[-1] == "trees compiled to C"
    pd.testing.assert_frame_equal(pd.read_parquet(native), pd.read_parquet(plain))
