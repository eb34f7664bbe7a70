"""features.json_map: the merge map's JSON text written from Arrow equals json.dumps of a dict."""

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.json_map import json_object


def _expected(keys, values) -> bytes:
    return json.dumps(dict(zip(keys, values, strict=True)), ensure_ascii=False).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(), st.text()), max_size=30))
def test_equals_json_dumps_for_any_text(pairs) -> None:
    keys, values = [k for k, _ in pairs], [v for _, v in pairs]
    # Repeated keys take the dict's rule: first place, last value.
    assert json_object(pa.array(keys, pa.string()), pa.array(values, pa.string())) == _expected(
        keys, values
    )


def test_escapes_quotes_backslashes_and_control_characters_only() -> None:
    keys = ['a"b', "c\\d", "e\x01f\n", "客户编号", "\u2028"]
    values = ["1", "2", "3", "4", "5"]
    got = json_object(pa.array(keys), pa.array(values), unique_keys=True)
    assert got == _expected(keys, values)
    assert json.loads(got) == dict(zip(keys, values, strict=True))


def test_chunked_arrays_missing_values_and_empty() -> None:
    keys = pa.chunked_array([["a", "b"], ["c"]])
    values = pa.chunked_array([["1"], ["2", None]])
    assert json_object(keys, values) == _expected(["a", "b", "c"], ["1", "2", None])
    assert json_object(pa.array([], pa.string()), pa.array([], pa.string())) == b"{}"


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        json_object(pa.array(["a", "b"]), pa.array(["1"]))
