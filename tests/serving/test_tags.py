"""Customer tags: rules over scores and features, evaluated without eval()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmml.errors import ConfigError, CrmmlError
from serving.tags import DEFAULT_RULES, TagRule, apply_tags, load_tag_rules, parse_condition

ROOT = Path(__file__).resolve().parents[2]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "score": [0.9, 0.45, np.nan, 0.65, 0.1],
            "spend_365d": [60000.0, 70000.0, 1.0, np.nan, 80000.0],
            "segment": pd.array(["b2b", "b2c", None, "b2b", "b2c"], dtype="string"),
            "activities_first7d": [0.0, 5.0, 1.0, 3.0, 0.0],
        }
    )


def test_defaults_tag_high_churn_risk_and_value():
    tags = apply_tags(frame(), task="churn", rules=load_tag_rules()).tolist()
    assert tags[0] == ["high churn risk", "high value at risk", "high value"]
    assert tags[1] == ["high value at risk", "high value"]
    assert tags[2] == []  # a missing score never matches
    assert tags[3] == ["high churn risk"]
    assert tags[4] == ["high value"]


def test_rules_apply_to_their_task_only():
    tags = apply_tags(frame(), task="lead_score", rules=load_tag_rules()).tolist()
    assert tags == [["hot lead"], [], [], ["hot lead"], []]


def test_shipped_yaml_matches_the_defaults():
    shipped = load_tag_rules(ROOT / "configs" / "tags.yaml")
    assert shipped == [TagRule(**r) for r in DEFAULT_RULES]


@pytest.mark.parametrize(
    "when, expected",
    [
        ("segment == 'b2b' and score >= 0.6", [True, False, False, True, False]),
        ("segment in ['b2c'] or score > 0.85", [True, True, False, False, True]),
        ("segment not in ['b2c']", [True, False, False, True, False]),
        ("not score < 0.5", [True, False, False, True, False]),
        ("0.4 < score <= 0.7", [False, True, False, True, False]),
        ("spend_365d != -1", [True, True, True, False, True]),
    ],
)
def test_condition_syntax(when, expected):
    tags = apply_tags(frame(), task="churn", rules=[TagRule(name="t", when=when)])
    assert [bool(t) for t in tags] == expected


@pytest.mark.parametrize(
    "when",
    [
        "__import__('os').system('true')",
        "score.real > 0",
        "score * 2 > 1",
        "[x for x in score]",
        "lambda: 1",
        "score if score else 1",
        "-score > 1",
        "score > None",
    ],
)
def test_anything_but_comparisons_is_refused_at_load(when):
    with pytest.raises(ConfigError):
        parse_condition(when)


def test_bad_rule_file_names_file_and_key(tmp_path):
    path = tmp_path / "tags.yaml"
    path.write_text("tags:\n  - name: x\n    when: score ** 2 > 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_tag_rules(path)
    line = err.value.lines()[0]
    assert str(path) in line and "tags.0.when" in line and "BinOp" in line
    path.write_text("tags:\n  - name: x\n    when: score > 1\n    colour: red\n")
    with pytest.raises(ConfigError) as err:
        load_tag_rules(path)
    assert "tags.0.colour" in err.value.lines()[0] and "unknown key" in err.value.lines()[0]


def test_missing_column_skips_the_rule_unless_strict():
    rules = [TagRule(name="big", when="employees > 100")]
    assert apply_tags(frame(), task="churn", rules=rules).tolist() == [[]] * 5
    with pytest.raises(CrmmlError, match="employees"):
        apply_tags(frame(), task="churn", rules=rules, strict=True)


def test_text_against_number_is_a_clear_error():
    with pytest.raises(CrmmlError, match="cannot compare"):
        apply_tags(frame(), task="churn", rules=[TagRule(name="t", when="segment > 3")])


def test_index_is_ignored_and_output_aligned():
    f = frame().set_index(pd.Index([10, 11, 12, 13, 14]))
    out = apply_tags(f, task="churn", rules=load_tag_rules())
    assert len(out) == 5 and out.name == "tags"
