import numpy as np

from serving.bundle import export_champions, load_bundle
from serving.config import ServingConfig
from tests.serving.registry_fixture import frame


def test_bundle_round_trip_scores_the_same(churn_store, churn_champion, tmp_path):
    cfg = ServingConfig()
    out = tmp_path / "bundle"
    assert export_champions(cfg, tracking_uri=churn_store[1], out=out) == {"churn": "1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]  # no temp left over
    loaded = load_bundle(cfg, out)
    assert set(loaded) == {"churn"} and loaded["churn"].version == "1"
    df, _ = frame(n=20, seed=2)
    np.testing.assert_allclose(
        loaded["churn"].scorer.score_frame(df)["score"],
        churn_champion.scorer.score_frame(df)["score"],
    )
    assert loaded["churn"].scorer.feature_info["plan"]["phrase"] == "on the {value} plan"
