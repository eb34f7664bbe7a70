"""64-bit keys of fixed-length ids: exact up to 8 bytes, and lookups equal to Arrow's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from features.id_keys import id_keys, positions


def _ids(rng: np.random.Generator, n: int, width: int) -> list[str]:
    return ["".join(rng.choice(list("AZ09"), width)) for _ in range(n)]


@pytest.mark.parametrize("width", [1, 3, 7, 8])
def test_short_ids_are_their_own_keys(width: int) -> None:
    values = sorted(set(_ids(np.random.default_rng(width), 200, width)))
    keys = id_keys(pa.array(values, pa.large_string()))
    assert keys is not None and keys.exact and keys.size == width
    assert len(set(keys.keys.tolist())) == len(values)  # distinct values, distinct keys
    again = id_keys(pa.array(values[::-1], pa.string()))  # int32 offsets, other order
    assert again.keys.tolist() == keys.keys.tolist()[::-1]


def test_ids_of_several_lengths_or_none_have_no_keys() -> None:
    assert id_keys(pa.array(["A1", "A22"])) is None
    assert id_keys(pa.array(["", ""])) is None
    assert id_keys(pa.array([None, None], pa.string())) is None
    assert id_keys(pa.array([1, 2])) is None


def test_nulls_and_slices_keep_each_value_its_key() -> None:
    values = pa.array(["X0", None, "B2", "C3", None, "D4"], pa.large_string())
    dense = id_keys(pa.array(["B2", "C3", "D4"]))
    sliced = id_keys(values.slice(2))  # starts mid-buffer; the last value ends the buffer
    assert sliced.keys.tolist() == dense.keys.tolist()
    assert sliced.valid.tolist() == [True, True, False, True]
    cjk = id_keys(pa.array(["客户1", None, "客户2"]))  # 7 bytes each
    assert cjk.size == 7 and cjk.keys[0] != cjk.keys[1]


@pytest.mark.parametrize("width", [2, 8, 9, 18])
@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("other_lengths", [False, True])
def test_positions_are_those_arrow_finds(width: int, nulls: bool, other_lengths: bool) -> None:
    rng = np.random.default_rng(width)
    known = pa.array(sorted(set(_ids(rng, 300, width))), pa.large_string())
    wanted = rng.choice(known.to_pylist(), 500).tolist() + _ids(rng, 100, width)
    if other_lengths:  # never found; in one chunk, the strings must be looked up instead
        wanted += _ids(rng, 10, width + 1) + _ids(rng, 10, width - 1)
    if nulls:
        wanted = [None if i % 7 == 0 else v for i, v in enumerate(wanted)]
    longer = _ids(rng, 5, width + 2)  # a chunk of another length: found nowhere
    chunks = pa.chunked_array([wanted[:250], [None] * 5, longer, wanted[250:]], pa.large_string())
    one = pa.array(wanted, pa.large_string())
    for values in (chunks, one):
        expected = pc.index_in(values, value_set=known).fill_null(-1).to_pylist()
        (found,) = positions([values], known)
        if other_lengths or width > 8:
            assert found is None  # not exactly keyed: left to Arrow's string lookup
        else:
            assert found.tolist() == expected


def test_positions_of_several_columns_empty_or_missing_ones_included() -> None:
    known = pa.array(["A1", "B2", "C3"])
    columns = [pa.array([], pa.string()), pa.array([None, None], pa.string()),
               pa.chunked_array([["C3", None], ["A1", "B2"], ["ZZZ"]]), pa.array(["B2", "A1"]),
               pa.array(["A1", "ZZZ"])]  # fmt: skip
    found = positions(columns, known)
    assert [f.tolist() if f is not None else None for f in found] == [
        [],
        [-1, -1],
        [2, -1, 0, 1, -1],
        [1, 0],
        None,  # the last mixes lengths: not keyed
    ]


def test_a_long_lookup_split_between_threads_finds_the_same(monkeypatch) -> None:
    import features.id_keys as module

    rng = np.random.default_rng(0)
    known = pa.array(sorted(set(_ids(rng, 300, 6))), pa.large_string())
    wanted = pa.chunked_array(
        [rng.choice(known.to_pylist(), 400).tolist(), [None, "ZZZZZZ"], _ids(rng, 50, 6)],
        pa.large_string(),
    )
    expected = pc.index_in(wanted, value_set=known).fill_null(-1).to_pylist()
    monkeypatch.setattr(module, "_SPLIT_AT", 10)
    monkeypatch.setattr(module.pa, "cpu_count", lambda: 3)  # three parts, none chunk-aligned
    (found,) = positions([wanted], known)
    assert found.tolist() == expected
