"""Cell parsing: text is stripped once per distinct value and categories respelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.contract import TABLES
from features.parsing import clean_strings, parse_category

CHANNEL = next(c for c in TABLES["activities"].columns if c.name == "channel")
REGION = next(c for c in TABLES["customers"].columns if c.name == "region")


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_category_spellings_that_clean_alike_are_one_value(dtype: str) -> None:
    raw = pd.Series([" Call", "call", "CALL ", "", None, "  ", "Ｅｍａｉｌ", "call"], dtype=dtype)
    parsed = parse_category(raw, CHANNEL)
    assert parsed.values.tolist()[:3] == ["call"] * 3
    assert parsed.values.isna().tolist() == [False, False, False, True, True, True, False, False]
    assert parsed.values.iloc[6] == "email"
    assert parsed.normalised == 3  # "Call", "CALL" and the full-width "Ｅｍａｉｌ" respelled


def test_places_vote_across_spellings_and_missing_columns_stay_missing() -> None:
    parsed = parse_category(pd.Series(["北京", " 北京", "Beijing", None], dtype="str"), REGION)
    assert parsed.values.tolist()[:3] == ["北京"] * 3
    empty = parse_category(pd.Series([None, " "], dtype="str"), CHANNEL)
    assert empty.values.isna().all() and empty.normalised == 0


def test_numbers_read_as_categories_lose_their_point_zero() -> None:
    parsed = parse_category(pd.Series([1.0, 2.5, np.nan, 1.0]), CHANNEL)
    assert parsed.values.tolist()[:2] == ["1", "2.5"] and pd.isna(parsed.values.iloc[2])


@pytest.mark.parametrize(
    "values",
    [["a", "b", None], ["a", " b", "c "], ["a\u3000", "b"], ["", "a", None], [], [None]],
)
def test_clean_strings_strips_and_blanks_become_missing(values: list) -> None:
    cleaned = clean_strings(pd.Series(values, dtype="str"))
    expected = [None if v is None or not v.strip() else v.strip() for v in values]
    assert [None if pd.isna(v) else v for v in cleaned] == expected
    assert str(cleaned.dtype) == "str"


@pytest.mark.parametrize("column", [CHANNEL, REGION])
def test_categories_of_event_tables_are_categoricals_of_the_same_values(column) -> None:
    raw = pd.Series([" Call", "北京", None, "Beijing", "CALL ", "", "北京"], dtype="str")
    text = parse_category(raw, column)
    category = parse_category(raw, column, as_category=True)
    assert isinstance(category.values.dtype, pd.CategoricalDtype)
    assert str(category.values.cat.categories.dtype) == "str"
    assert category.values.astype("str").tolist() == text.values.tolist()
    assert category.normalised == text.normalised
    # A column read as a categorical (a Parquet dictionary), unused values and all.
    read = raw.astype(pd.CategoricalDtype([" Call", "unused", "北京", "Beijing", "CALL ", ""]))
    for as_category in (False, True):
        again = parse_category(read, column, as_category=as_category)
        assert again.values.astype("str").tolist() == text.values.tolist()
        assert again.normalised == text.normalised
