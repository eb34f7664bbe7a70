import pytest

from crmml.errors import ConfigError
from evaluation.policy import load_policy


def test_defaults():
    p = load_policy()
    assert p.min_parity_ratio == 0.8 and p.max_parity_difference == 0.1
    assert p.insufficient_groups == "warn" and p.auto_approve is False


def test_partial_file_overrides_only_its_keys(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("min_roc_auc: 0.9\n")
    p = load_policy(f)
    assert p.min_roc_auc == 0.9 and p.min_parity_ratio == 0.8


def test_unknown_key_is_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("min_roc_auc: 0.9\nmin_auc_typo: 1\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(f)
    assert any("min_auc_typo" in line and "unknown key" in line for line in exc.value.lines())


def test_bad_value_is_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("insufficient_groups: maybe\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(f)
    assert "insufficient_groups" in exc.value.lines()[0]
