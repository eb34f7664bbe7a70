"""models.native: LightGBM trees compiled to C give LightGBM's very numbers, or are not used."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from models import CrmModel
from models.native import library_path, native_predictor, probe_rows

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")


@pytest.fixture(scope="module")
def lgbm_model(fitted) -> CrmModel:
    return CrmModel.from_pipeline(fitted["lgbm"])


@pytest.fixture(scope="module")
def compiled(lgbm_model, tmp_path_factory):
    cache = tmp_path_factory.mktemp("compiled")
    booster = lgbm_model.pipeline.steps[-1][1].estimator_.booster_
    predictor, why = native_predictor(booster, cache, compile=True)
    assert predictor is not None, why
    return booster, cache, predictor


def test_same_numbers_as_lightgbm_on_probe_and_messy_rows(lgbm_model, compiled, test_rows):
    booster, _, predictor = compiled
    encoded = lgbm_model.pipeline.steps[0][1].transform(test_rows)
    probe = probe_rows(booster, n=500, seed=3)
    extremes = np.where(np.random.default_rng(0).random(probe.shape) < 0.3, np.inf, probe)
    extremes[::3] *= -1  # -inf, negative values and -0.0 as well (quantized thresholds)
    for rows in (encoded, probe, extremes):
        assert np.array_equal(predictor.raw_score(rows), booster.predict(rows, raw_score=True))
        assert np.array_equal(predictor.proba(rows), booster.predict(rows))


def test_the_probe_reaches_nan_and_every_split_value(compiled):
    booster, _, _ = compiled
    rows = probe_rows(booster)
    assert np.isnan(rows).any(axis=0).all()  # every feature is missing somewhere
    assert len(np.unique(rows[:, 0][~np.isnan(rows[:, 0])])) > 10


def test_the_compiled_trees_are_cached_and_found_without_compiling(compiled):
    booster, cache, _ = compiled
    predictor, why = native_predictor(booster, cache, compile=False)
    assert predictor is not None and why == "trees compiled to C"
    assert len(list(cache.glob("*/model.so"))) == 1
    assert len(list(cache.glob("*/verified"))) == 1  # checked once, on the first load
    assert not list(cache.glob(".compiling-*"))  # no half-written leftovers


def test_small_input_without_a_cached_library_stays_on_lightgbm(compiled, tmp_path):
    booster, _, _ = compiled
    predictor, why = native_predictor(booster, tmp_path, compile=False)
    assert predictor is None and "small input" in why


def test_no_compiler_stays_on_lightgbm_and_leaves_nothing(compiled, tmp_path, monkeypatch):
    booster, _, _ = compiled
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # gcc cannot be found: a real failure
    predictor, why = native_predictor(booster, tmp_path / "cache", compile=True)
    assert predictor is None and "compiling failed" in why
    assert not any((tmp_path / "cache").iterdir())


def test_a_damaged_library_is_dropped_and_lightgbm_scores(compiled, tmp_path):
    booster, cache, _ = compiled
    damaged = tmp_path / "cache"
    shutil.copytree(cache, damaged)
    lib = next(damaged.glob("*/model.so"))
    lib.write_bytes(b"not a shared library")
    predictor, why = native_predictor(booster, damaged, compile=False)
    assert predictor is None and "unusable" in why
    assert not lib.exists()


def test_crm_model_scores_the_same_with_native_trees(fitted, compiled, test_rows):
    _, cache, _ = compiled
    model = CrmModel.from_pipeline(fitted["lgbm"])
    before = model.predict_proba(test_rows)
    raw_before = model.raw_score(test_rows)
    assert model.use_native(cache, compile=False) == "trees compiled to C"
    try:
        assert np.array_equal(model.predict_proba(test_rows), before)
        assert np.array_equal(model.raw_score(test_rows), raw_before)
    finally:
        model.pipeline.steps[-1][1].estimator_.native_ = None


def test_other_families_keep_their_own_code(fitted, tmp_path):
    model = CrmModel.from_pipeline(fitted["scorecard"])
    assert model.use_native(tmp_path, compile=True) == "scorecard"
    assert not any(tmp_path.iterdir())


def test_a_library_of_other_trees_fails_the_check(compiled, spec, data, tmp_path):
    from models import make_pipeline

    _, cache, _ = compiled
    other = make_pipeline("lgbm", {"n_estimators": 7}, spec=spec, seed=1).fit(*data["train"])
    other_booster = other.steps[-1][1].booster_
    # the first model's library where the second model's belongs, not yet checked
    place = library_path(other_booster, tmp_path)
    place.parent.mkdir()
    shutil.copy(next(cache.glob("*/model.so")), place)
    predictor, why = native_predictor(other_booster, tmp_path, compile=False)
    assert predictor is None and "differ" in why
    assert not (place.parent / "verified").exists()
