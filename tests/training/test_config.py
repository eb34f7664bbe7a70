from pathlib import Path

import pytest

from crmml.errors import ConfigError
from training.config import TrainConfig, load_train_config

REPO = Path(__file__).resolve().parents[2]


def test_yaml_mirrors_defaults():
    assert load_train_config(REPO / "configs" / "training.yaml") == TrainConfig()


def test_overrides_beat_the_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("tuning: {trials: 7}\nseed: 3\n", encoding="utf-8")
    cfg = load_train_config(path, overrides={"seed": 5, "tuning.timeout": None})
    assert (cfg.seed, cfg.tuning.trials, cfg.tuning.timeout) == (5, 7, None)


def test_unknown_key_names_file_and_key(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("leakage: {auc_treshold: 0.8}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_train_config(path)
    assert "leakage.auc_treshold" in err.value.lines()[0]
    assert str(path) in err.value.lines()[0]


def test_bad_family_is_rejected():
    with pytest.raises(ConfigError) as err:
        load_train_config(None, overrides={"families": ["xgboost"]})
    assert "key 'families.0'" in err.value.lines()[0] and "xgboost" in err.value.lines()[0]


def test_lightgbm_tunes_on_its_own_sample_never_smaller_than_the_others():
    from training.config import TuningConfig

    tuning = TuningConfig()
    assert tuning.rows_for("scorecard") == tuning.rows_for("tree") == 50_000
    assert tuning.rows_for("lgbm") == 100_000
    assert TuningConfig(max_rows=200_000).rows_for("lgbm") == 200_000
    assert TuningConfig(max_rows=None).rows_for("lgbm") is None  # all rows for every family
    assert TuningConfig(lgbm_max_rows=None).rows_for("lgbm") is None
