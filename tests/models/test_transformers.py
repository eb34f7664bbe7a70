"""FeatureEncoder: the scikit-learn contract, messy inputs, state round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from crmml.errors import CrmmlError
from models.transformers import FeatureEncoder, category_strings


@parametrize_with_checks([FeatureEncoder(), FeatureEncoder(numeric_encoding="bins", n_bins=4)])
def test_sklearn_contract(estimator, check):
    # sklearn's check raises AssertionError (or another error) when the contract is broken.
    assert check(estimator) is None


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "c": pd.array(["a", "b", "a", None, "b", "a"], dtype="str"),
        }
    )


def test_ordinal_codes_unseen_and_missing_as_nan():
    enc = FeatureEncoder(numeric=("x",), categorical=("c",)).fit(frame())
    assert enc.vocabulary_ == {"c": ["a", "b"]}
    out = enc.transform(pd.DataFrame({"x": [np.nan, 3.0], "c": ["zzz", None]}, dtype=object))
    assert np.isnan(out[0, 0]) and out[1, 0] == 3.0
    assert np.isnan(out[:, 1]).all()


def test_onehot_and_bins_layout():
    enc = FeatureEncoder(
        numeric=("x",),
        categorical=("c",),
        numeric_encoding="bins",
        categorical_encoding="onehot",
        n_bins=2,
    ).fit(frame())
    names = list(enc.get_feature_names_out())
    assert names == ["x=bin0", "x=bin1", "x=__missing__", "c=a", "c=b", "c=__missing__"]
    out = enc.transform(pd.DataFrame({"x": [np.nan, 100.0], "c": ["zzz", None]}))
    # NaN -> missing bin, large -> last bin; unseen -> no indicator, None -> missing indicator
    np.testing.assert_array_equal(out, [[0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 1]])


def test_extra_columns_ignored_and_missing_column_named():
    enc = FeatureEncoder(numeric=("x",), categorical=("c",)).fit(frame().assign(other=1))
    assert enc.transform(frame().assign(extra="y")).shape == (6, 2)
    with pytest.raises(CrmmlError, match=r"missing feature column\(s\) \['c'\]"):
        enc.transform(frame()[["x"]])


def test_non_numeric_value_in_numeric_column_is_named():
    enc = FeatureEncoder(numeric=("x",), categorical=("c",)).fit(frame())
    bad = frame().astype({"x": object})
    bad.loc[1, "x"] = "twelve"
    with pytest.raises(CrmmlError, match="column 'x': expected numbers, found 'twelve'"):
        enc.transform(bad)


def test_category_strings_normalise_json_numbers():
    values = category_strings(pd.Series([1.0, "1", None, np.nan, 2, "b"], dtype=object))
    assert list(values) == ["1", "1", None, None, "2", "b"]


def test_state_round_trips_through_json():
    enc = FeatureEncoder(
        numeric=("x",),
        categorical=("c",),
        numeric_encoding="bins",
        categorical_encoding="onehot",
        n_bins=3,
    ).fit(frame())
    again = FeatureEncoder.from_state(json.loads(json.dumps(enc.to_state())))
    probe = pd.DataFrame({"x": [0.0, 2.5, np.nan, 9.0], "c": ["a", "q", None, "b"]})
    np.testing.assert_array_equal(enc.transform(probe), again.transform(probe))
    np.testing.assert_array_equal(enc.encoded_mean_, again.encoded_mean_)


@pytest.mark.parametrize(
    ("numeric_encoding", "categorical_encoding"),
    [("identity", "ordinal"), ("bins", "onehot"), ("identity", "onehot"), ("bins", "ordinal")],
)
def test_encode_columns_equals_transform(numeric_encoding, categorical_encoding):
    from tests.models.conftest import CATEGORICAL, NUMERIC, make_rows, odd_rows

    train, _ = make_rows(500, 0)
    enc = FeatureEncoder(
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        numeric_encoding=numeric_encoding,
        categorical_encoding=categorical_encoding,
    ).fit(train)
    rows = pd.concat([make_rows(50, 1)[0], odd_rows()], ignore_index=True)
    rows.loc[0, "total_spend"] = np.inf  # +-inf is missing, as in transform
    columns = {
        c: [None if pd.isna(v) else v for v in rows[c].astype(object)] for c in rows.columns
    }
    np.testing.assert_array_equal(enc.encode_columns(columns), enc.transform(rows))
    # a refit on other categories forgets the old lookup
    enc.fit(train.assign(region="atlantis"))
    np.testing.assert_array_equal(enc.encode_columns(columns), enc.transform(rows))


def test_big_batches_get_the_same_codes_as_the_per_value_lookup():
    import models.transformers as transformers

    enc = FeatureEncoder(numeric=("x",), categorical=("c",)).fit(frame())
    rng = np.random.default_rng(0)
    n = transformers._HASHED_FROM * 3
    values = np.array(rng.choice(["a", "b", "zzz", "", None, "A"], n), dtype=object)
    values[::97] = 1  # not a string: unseen, as in the lookup
    big = enc._codes("c", values)
    lookup = enc._lookups()["c"]
    expected = [transformers._MISSING_CODE if v is None else lookup.get(v, -1) for v in values]
    assert big.dtype == np.int64 and big.tolist() == expected
    assert set(big.tolist()) == {0, 1, -1, transformers._MISSING_CODE}
    assert enc._codes("not fitted", values[:n]).tolist() == [
        transformers._MISSING_CODE if v is None else -1 for v in values
    ]


def test_arrow_string_columns_get_the_same_codes_and_matrix():
    import pyarrow as pa

    import models.transformers as transformers
    from tests.models.conftest import CATEGORICAL, NUMERIC, make_rows, odd_rows

    enc = FeatureEncoder(numeric=NUMERIC, categorical=CATEGORICAL).fit(make_rows(500, 0)[0])
    rng = np.random.default_rng(1)
    values = rng.choice(["north", "south", "", "atlantis", "North", None], 5000).tolist()
    for array in (pa.array(values), pa.chunked_array([values[:7], values[7:]], pa.large_string())):
        codes = enc._codes("region", array)
        assert codes.tolist() == enc._codes("region", np.array(values, dtype=object)).tolist()
    assert transformers._MISSING_CODE in codes and -1 in codes
    rows = pd.concat([make_rows(50, 1)[0], odd_rows()], ignore_index=True)
    columns = {c: rows[c].to_numpy(dtype=object) for c in rows.columns}
    arrow = {**columns, **{c: pa.array(category_strings(rows[c])) for c in CATEGORICAL}}
    np.testing.assert_array_equal(enc.encode_columns(arrow), enc.encode_columns(columns))
