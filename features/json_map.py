"""A JSON object of string keys and values, written from Arrow arrays without Python objects.

``merge_map.json`` maps every raw customer id to its pseudonym: a million entries at a
million customers. ``json.dumps`` of a dict needs two million Python strings and the dict
first (0.77 s there); this writes the same bytes with Arrow string kernels (0.15 s).
Hand-written: pyarrow writes no JSON, and pandas' ``Series.to_json`` takes 0.33 s and writes
other separators and escapes (and repeated keys twice), so the file would change.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.arrow_rows import string_offsets

# What json.dumps(..., ensure_ascii=False) escapes in a string: quote, backslash, controls.
_ESCAPED = r'["\\\x00-\x1f]'


def json_object(
    keys: pa.Array | pa.ChunkedArray,
    values: pa.Array | pa.ChunkedArray,
    *,
    unique_keys: bool | None = None,
) -> bytes:
    """UTF-8 bytes equal to ``json.dumps(dict(zip(keys, values)), ensure_ascii=False)``.

    ``unique_keys``: whether the caller knows the keys are distinct (None: counted here,
    a hash of every key).
    """
    keys, values = _strings(keys), _strings(values)
    if len(keys) != len(values):
        raise ValueError(f"json_object: {len(keys)} keys but {len(values)} values")
    if unique_keys is None:
        unique_keys = pc.count_distinct(keys, mode="all").as_py() == len(keys)
    if keys.null_count or values.null_count or not unique_keys:
        # Nulls or repeated keys (a dict keeps the first place and the last value): rare.
        pairs = dict(zip(keys.to_pylist(), values.to_pylist(), strict=True))
        return json.dumps(pairs, ensure_ascii=False).encode("utf-8")
    if not len(keys):
        return b"{}"
    entries = pc.binary_join_element_wise(_quoted(keys), _quoted(values), _text(": "))
    lists = pa.LargeListArray.from_arrays(pa.array([0, len(entries)], pa.int64()), entries)
    text = pc.binary_join(lists, _text(", "))
    return b"{" + _bytes(text) + b"}"


def _strings(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    return array.cast(pa.large_string())


def _quoted(strings: pa.Array) -> pa.Array:
    """Each string as a JSON string literal, escaped as ``json.dumps`` escapes it."""
    special = pc.match_substring_regex(strings, _ESCAPED)
    if pc.any(special).as_py():
        rows = np.flatnonzero(special.to_numpy(zero_copy_only=False))
        escaped = [json.dumps(s, ensure_ascii=False)[1:-1] for s in strings.take(rows).to_pylist()]
        strings = pc.replace_with_mask(strings, special, pa.array(escaped, pa.large_string()))
    return pc.binary_join_element_wise(_text('"'), strings, _text('"'), _text(""))


def _text(s: str) -> pa.Scalar:
    return pa.scalar(s, pa.large_string())


def _bytes(text: pa.Array) -> bytes:
    """The single string of ``text`` as bytes, straight from its data buffer."""
    offsets = string_offsets(text)
    return text.buffers()[2][int(offsets[0]) : int(offsets[1])].to_pybytes()
