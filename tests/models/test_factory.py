"""Pipeline factories and search spaces."""

from __future__ import annotations

import optuna
import pytest
from sklearn.pipeline import Pipeline

from crmml.errors import CrmmlError
from models import FAMILIES, default_params, make_pipeline, starting_trial, suggest_params


def test_unknown_family_names_the_choices(spec):
    with pytest.raises(CrmmlError, match=r"unknown 'forest'.*scorecard.*tree.*lgbm"):
        make_pipeline("forest", {}, spec=spec)


def test_unknown_param_is_named(spec):
    with pytest.raises(CrmmlError, match=r"unknown key\(s\) \['max_dept'\]"):
        make_pipeline("tree", {"max_dept": 3}, spec=spec)


def test_tree_deeper_than_four_is_refused(spec):
    with pytest.raises(CrmmlError, match="max_depth expected 1..4"):
        make_pipeline("tree", {"max_depth": 5}, spec=spec)


def test_fitted_tree_depth_at_most_four(spec, data):
    pipe = make_pipeline("tree", {"max_depth": 4, "min_samples_leaf": 5}, spec=spec)
    assert pipe.fit(*data["train"])[-1].get_depth() <= 4


@pytest.mark.parametrize("family", FAMILIES)
def test_search_space_draws_valid_params(family, spec):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        trial = study.ask()
        params = suggest_params(family, trial)
        assert set(params) == set(default_params(family))
        assert isinstance(make_pipeline(family, params, spec=spec, seed=1), Pipeline)
        study.tell(trial, 0.5)


@pytest.mark.parametrize("family", FAMILIES)
def test_starting_trial_lies_in_the_search_space(family, spec):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial(starting_trial(family))
    trial = study.ask()
    params = suggest_params(family, trial)
    assert trial.params == starting_trial(family)  # every value kept, none redrawn
    assert isinstance(make_pipeline(family, params, spec=spec), Pipeline)


@pytest.mark.parametrize("family", FAMILIES)
def test_sensitive_columns_are_not_model_inputs(family, spec, data):
    X, y = data["train"]
    pipe = make_pipeline(family, {}, spec=spec).fit(X.assign(sensitive__gender="f"), y)
    assert list(pipe.feature_names_in_) == list(spec.features)
