"""Tests of features/table_labels.py: the label of a single table and its random split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmml.errors import DataQualityError
from features.dataset_spec import DatasetSpec
from features.table_labels import parse_label, random_split, value_counts


def _spec(**split) -> DatasetSpec:
    return DatasetSpec(task="x", label={"column": "y", "positive": "yes"}, split=split)


@settings(max_examples=40, deadline=None)
@given(
    positives=st.integers(10, 300),
    negatives=st.integers(10, 300),
    seed=st.integers(0, 10_000),
    test=st.floats(0.1, 0.4),
    valid=st.floats(0.1, 0.4),
)
def test_random_split_is_stratified_and_seeded(positives, negatives, seed, test, valid):
    rng = np.random.default_rng(seed)
    label = pd.Series(rng.permutation([1] * positives + [0] * negatives))
    spec = _spec(test_size=test, valid_size=valid, seed=seed)
    split = random_split(label, spec)
    assert split.equals(random_split(label, spec))
    assert set(split) == {"train", "valid", "test"}
    n = len(label)
    for part, share in (("test", test), ("valid", valid)):
        rows = split == part
        assert abs(rows.sum() - share * n) <= 2
        # stratified: each part's positives are its share of all positives, give or take one
        assert abs(label[rows].sum() - label.sum() * rows.sum() / n) <= 1.5


def test_parse_label_empty_cells_are_unlabelled():
    table = pd.DataFrame({"y": ["yes", " no ", None, "", "yes "]})
    labelled, positive = parse_label(_spec(), table, Path("t.csv"))
    assert labelled.tolist() == [True, True, False, False, True]
    assert positive.tolist() == [1, 0, 0, 0, 1]


def test_value_counts_are_stripped():
    assert value_counts(pd.Series(["a ", "a", "b", None])) == {"a": 2, "b": 1}


def test_split_without_validation_part():
    label = pd.Series([0, 1] * 20)
    split = random_split(label, _spec(test_size=0.25, valid_size=0))
    assert split.value_counts().to_dict() == {"train": 30, "test": 10}


def test_split_with_too_few_positives_is_explained():
    label = pd.Series([1] + [0] * 20)
    with pytest.raises(DataQualityError, match="key 'split': cannot make a stratified split"):
        random_split(label, _spec())
