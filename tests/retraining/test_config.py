"""Retraining config: shipped YAML mirrors the defaults; bad keys name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmml.errors import ConfigError
from retraining.config import RetrainConfig, load_retrain_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_the_defaults():
    assert load_retrain_config(ROOT / "configs" / "retraining.yaml") == RetrainConfig()


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("lock:\n  stale_after: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_retrain_config(path)
    assert str(path) in err.value.lines()[0] and "lock.stale_after" in err.value.lines()[0]
