from pathlib import Path

import pytest

from crmml.errors import ConfigError
from evaluation.config import EvalConfig, load_eval_config

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_matches_defaults():
    assert load_eval_config(REPO / "configs" / "evaluation.yaml") == EvalConfig()


def test_unknown_and_bad_keys_are_named(tmp_path):
    f = tmp_path / "e.yaml"
    f.write_text("fairness:\n  usee: punitive\n")
    with pytest.raises(ConfigError) as exc:
        load_eval_config(f)
    assert "fairness.usee" in exc.value.lines()[0]
    f.write_text("fairness:\n  bins:\n    age: [30, 20]\n")
    with pytest.raises(ConfigError) as exc:
        load_eval_config(f)
    assert "bins.age" in " ".join(exc.value.lines())
