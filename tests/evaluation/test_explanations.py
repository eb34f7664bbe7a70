from types import SimpleNamespace

import pytest

from evaluation.explanations import additivity_error, explain


def test_additivity_on_given_contributions(scored):
    c = scored.contributions
    assert additivity_error(c.values, c.base_value, scored.raw) < 1e-9
    assert additivity_error(c.values, c.base_value, scored.raw + 0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="rows"):
        additivity_error(c.values[:5], c.base_value, scored.raw)


def test_additivity_with_lightgbm_pred_contrib(scored):
    import lightgbm as lgb

    X = scored.X.assign(plan=scored.X["plan"].astype("category"))
    m = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, scored.y)
    c = m.predict(X, pred_contrib=True)
    raw = m.predict(X, raw_score=True)
    assert additivity_error(c[:, :-1], c[0, -1], raw) < 1e-6


def test_explain_block(scored):
    specs = {s["name"]: s for s in scored.specs}
    out = explain(
        scored.contributions,
        scored.X,
        scored.raw,
        feature_names=list(scored.X),
        specs=specs,
        sensitive=list(scored.sens),
        sample_rows=3,
    )
    assert out["additivity_ok"] and out["scale"] == "log-odds" and out["base_value"] == -0.5
    assert out["global"][0]["feature"] == "days_since_last_order"
    assert len(out["reasons_sample"]) == 3
    assert "uncalibrated log-odds" in out["note"]
    bad = SimpleNamespace(values=scored.contributions.values, base_value=0.0)
    assert not explain(bad, scored.X, scored.raw, feature_names=list(scored.X), specs=specs)[
        "additivity_ok"
    ]
