import optuna
import optuna_integration
import pytest
from mlflow import MlflowClient

import models
from training import tuning
from training.config import TuningConfig
from training.tuning import fit_pipeline, select_family, tune_family, tuning_sample


def test_select_prefers_interpretable_within_tolerance():
    pref = ("scorecard", "tree", "lgbm")
    assert (
        select_family({"scorecard": 0.795, "lgbm": 0.80}, preference=pref, tolerance=0.01)
        == "scorecard"
    )
    assert (
        select_family(
            {"scorecard": 0.78, "tree": 0.795, "lgbm": 0.80}, preference=pref, tolerance=0.01
        )
        == "tree"
    )
    assert (
        select_family({"scorecard": 0.70, "lgbm": 0.80}, preference=pref, tolerance=0.01) == "lgbm"
    )
    assert (
        select_family({"scorecard": 0.70, "lgbm": 0.80}, preference=pref, tolerance=0.2)
        == "scorecard"
    )


def _tune(parts, client, exp, run, family="lgbm", trials=3, **config):
    spec, xt, yt, xv, yv = parts
    return tune_family(
        family,
        spec=spec,
        X_train=xt,
        y_train=yt,
        X_valid=xv,
        y_valid=yv,
        config=TuningConfig(
            trials=trials, pruner_startup_trials=1, pruner_warmup_steps=0, **config
        ),
        seed=3,
        client=client,
        experiment_id=exp,
        parent_run_id=run,
    )


def test_trials_are_child_runs_and_deterministic(parts, store_uri):
    client = MlflowClient(store_uri)
    exp = client.create_experiment("t")
    parent = client.create_run(exp).info.run_id
    first = _tune(parts, client, exp, parent)
    second = _tune(parts, client, exp, parent)
    assert first.best_valid_auc == second.best_valid_auc
    assert first.best_params == second.best_params
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}'")
    assert len(children) == 6
    assert {r.data.tags["crmml.trial_state"] for r in children} <= {"COMPLETE", "PRUNED"}
    assert all("num_leaves" in r.data.params for r in children)
    first = [r for r in children if r.data.params["trial"] == "0"]
    assert {r.data.params["num_leaves"] for r in first} == {"31"}  # models.starting_trial


def test_hopeless_lgbm_trial_is_pruned_by_the_callback_during_fit(parts):
    spec, xt, yt, xv, yv = parts
    assert tuning.LightGBMPruningCallback is optuna_integration.LightGBMPruningCallback
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.99)
    )
    trial = study.ask()
    pipe = models.make_pipeline("lgbm", {"n_estimators": 300}, spec=spec)
    with pytest.raises(optuna.TrialPruned, match="iteration 0"):
        fit_pipeline(pipe, xt, yt, X_valid=xv, y_valid=yv, trial=trial)
    # The callback reported the first round's validation AUC and stopped there, mid-fit.
    values = trial.storage.get_trial(trial._trial_id).intermediate_values
    assert list(values) == [0] and 0.5 < values[0] < 0.99


def test_early_stopping_sets_the_refit_rounds(parts, store_uri):
    client = MlflowClient(store_uri)
    exp = client.create_experiment("t")
    parent = client.create_run(exp).info.run_id
    result = _tune(parts, client, exp, parent, early_stopping_rounds=5)
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}'")
    best = max(
        (r for r in children if r.data.tags["crmml.trial_state"] == "COMPLETE"),
        key=lambda r: r.data.metrics["valid_roc_auc"],
    )
    rounds = best.data.metrics["best_iteration"]
    assert result.best_params["n_estimators"] == rounds < int(best.data.params["n_estimators"])


def test_tuning_sample_is_seeded_and_bounded(parts):
    _, xt, yt, _, _ = parts
    a, ya = tuning_sample(xt, yt, 200, seed=1)
    b, _ = tuning_sample(xt, yt, 200, seed=1)
    assert len(a) == 200 and a.index.equals(b.index) and ya.index.equals(a.index)
    assert tuning_sample(xt, yt, None, seed=1)[0] is xt


def test_refit_scales_lgbm_rounds_and_the_scorecard_penalty(parts):
    from training.tuning import FamilyResult, refit

    spec, xt, yt, xv, yv = parts
    config = TuningConfig()
    lgbm = FamilyResult("lgbm", {"n_estimators": 7}, 0.8, 1, 0, len(xt) // 4)
    pipe, params = refit(
        lgbm, spec=spec, X_train=xt, y_train=yt, X_valid=xv, y_valid=yv, config=config, seed=0
    )
    # Four times the rows: twice the best round found on the tuning sample.
    assert params["n_estimators"] == pipe[-1].booster_.current_iteration() == 14
    untuned = FamilyResult("lgbm", {"n_estimators": 7}, 0.8, 1, 0)  # defaults, no sample
    assert (
        refit(
            untuned,
            spec=spec,
            X_train=xt,
            y_train=yt,
            X_valid=xv,
            y_valid=yv,
            config=config,
            seed=0,
        )[1]["n_estimators"]
        == 7
    )
    card = FamilyResult("scorecard", {"C": 1.0}, 0.8, 1, 0, len(xt) // 4)
    pipe, params = refit(
        card, spec=spec, X_train=xt, y_train=yt, X_valid=xv, y_valid=yv, config=config, seed=0
    )
    # Same penalty per row as on the tuning sample: C x tuning rows / training rows.
    assert params["C"] == pipe[-1].C == (len(xt) // 4) / len(xt)


@pytest.mark.parametrize(
    ("rounds", "tuning_rows", "training_rows", "expected"),
    [(50, 50_000, 200_000, 100), (60, 50_000, 500_000, 190), (50, 1000, 1000, 50), (3, 9, 10, 3)],
)
def test_refit_rounds_grow_with_the_square_root_of_the_rows(
    rounds, tuning_rows, training_rows, expected
):
    assert tuning.refit_rounds(rounds, tuning_rows, training_rows) == expected
