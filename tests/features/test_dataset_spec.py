"""Tests of features/dataset_spec.py: the YAML spec is validated at the edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmml.errors import ConfigError
from features.dataset_spec import (
    DatasetSpec,
    humanise,
    load_dataset_spec,
    resolve_table_path,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bank_marketing.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = "task: churn\nfile: table.csv\nlabel: {column: churned, positive: 1}\n"


def test_minimal_spec_gets_defaults_and_file_relative_to_spec(tmp_path):
    spec = load_dataset_spec(_write(tmp_path, MINIMAL))
    assert spec.task == "churn"
    assert spec.file == (tmp_path / "table.csv").resolve()
    assert spec.id_column is None and spec.date_column is None
    assert spec.categorical is None and spec.numeric is None
    assert spec.read.sep is None and spec.read.encoding == "auto"
    assert (spec.split.test_size, spec.split.valid_size, spec.split.seed) == (0.2, 0.2, 42)
    assert spec.source == str(tmp_path / "spec.yaml")


def test_example_bank_spec_loads():
    spec = load_dataset_spec(EXAMPLE)
    assert spec.task == "lead_score"
    assert spec.label.column == "y" and spec.label.positive == "yes"
    assert spec.known_after_outcome == ["duration"]
    assert spec.sensitive["age"].labels == ["<25", "25-60", ">60"]
    assert "age" not in (spec.numeric or []) and "marital" not in (spec.categorical or [])
    assert spec.file.name == "bank-full.csv"


def test_unknown_key_names_file_and_key(tmp_path):
    path = _write(tmp_path, MINIMAL + "labels_column: x\n")
    with pytest.raises(ConfigError) as err:
        load_dataset_spec(path)
    text = "\n".join(err.value.lines())
    assert str(path) in text and "'labels_column'" in text and "unknown key" in text


def test_unknown_nested_key_is_named(tmp_path):
    path = _write(tmp_path, MINIMAL + "split: {seed: 1, test_share: 0.3}\n")
    with pytest.raises(ConfigError) as err:
        load_dataset_spec(path)
    assert "split.test_share" in "\n".join(err.value.lines())


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ("sensitive: {age: {bins: [0, 30, 20]}}\n", "sensitive.age"),
        ("sensitive: {age: {bins: [0, 30, 60], labels: [a]}}\n", "sensitive.age"),
        ("sensitive: {age: {labels: [a]}}\n", "sensitive.age"),
        ("split: {test_size: 0.5, valid_size: 0.45}\n", "split"),
        ("split: {test_size: 1.5}\n", "split.test_size"),
        ("phrases: {x: 'value is {val}'}\n", "phrases"),
        ("monotone: {x: 2}\n", "monotone.x"),
    ],
)
def test_bad_values_are_named(tmp_path, extra, where):
    with pytest.raises(ConfigError) as err:
        load_dataset_spec(_write(tmp_path, MINIMAL + extra))
    assert f"'{where}" in "\n".join(err.value.lines())


def test_bad_task_name(tmp_path):
    path = _write(tmp_path, MINIMAL.replace("task: churn", "task: Churn Model"))
    with pytest.raises(ConfigError, match="invalid config") as err:
        load_dataset_spec(path)
    assert "'task'" in "\n".join(err.value.lines())


def test_missing_label_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_dataset_spec(_write(tmp_path, "task: churn\n"))
    assert "'label'" in "\n".join(err.value.lines())


def test_a_column_has_one_role(tmp_path):
    path = _write(tmp_path, MINIMAL + "numeric: [a, b]\nknown_after_outcome: [b]\n")
    with pytest.raises(ConfigError) as err:
        load_dataset_spec(path)
    assert "'b' in numeric and known_after_outcome" in "\n".join(err.value.lines())


def test_label_column_cannot_be_a_feature():
    with pytest.raises(ValueError, match="one role"):
        DatasetSpec(task="x", label={"column": "y", "positive": 1}, categorical=["y"])


def test_sensitive_column_may_also_be_an_explicit_feature():
    spec = DatasetSpec(
        task="x", label={"column": "y", "positive": 1}, numeric=["age"], sensitive={"age": {}}
    )
    assert spec.numeric == ["age"] and "age" in spec.sensitive


def test_table_path_override_and_missing_file(tmp_path):
    spec = load_dataset_spec(_write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError, match="key 'file': table file not found"):
        resolve_table_path(spec)
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    assert resolve_table_path(spec, other) == other
    with pytest.raises(ConfigError, match="nope.csv: table file not found"):
        resolve_table_path(spec, tmp_path / "nope.csv")
    no_file = DatasetSpec(task="x", label={"column": "y", "positive": 1})
    with pytest.raises(ConfigError, match="no table file given"):
        resolve_table_path(no_file)


def test_humanise():
    assert humanise("avg_balance") == "Avg balance"
    assert humanise("pdays") == "Pdays"
