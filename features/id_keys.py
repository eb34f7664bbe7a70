"""64-bit integer keys of string ids of one byte length, read straight from Arrow's buffers.

Hashing or sorting ten million string ids misses the caches: every probe or comparison
follows an offset into the text. CRM keys usually have one length (``O00000001``,
``C0000352``): an id of up to 8 bytes is its own key (the bytes, zero-padded: exact), a longer
one gets a hash of its 8-byte words. Arrow's hash lookup of such keys is about twice as fast
as of the strings (10M order rows among 1M customers: 0.72 -> 0.35 s). Hand-written: neither
numpy nor pyarrow reads fixed-length strings as integers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from features.arrow_rows import string_offsets

_MIX = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime: mixes a word into the key
_SPLIT_AT = 1 << 20
"""Lookups of at least this many keys are split between threads (up to 4, one per core)."""


@dataclass(frozen=True)
class IdKeys:
    """One key per non-null value, in order, and the values' common byte length."""

    keys: np.ndarray
    size: int
    valid: np.ndarray | None = None
    """Which rows hold a value (None: every row)."""

    @property
    def exact(self) -> bool:
        """Equal keys mean equal values (up to 8 bytes); longer values' keys are hashes."""
        return self.size <= 8


def id_keys(arr: pa.Array) -> IdKeys | None:
    """The keys of a (large) string array whose values, nulls aside, are all one non-zero byte
    length; None for other arrays."""
    offsets = string_offsets(arr)
    if offsets is None:
        return None
    lengths = np.diff(offsets)
    valid = None
    if arr.null_count:
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        lengths = lengths[valid]
    if not len(lengths) or lengths[0] == 0 or (lengths != lengths[0]).any():
        return None
    size = int(lengths[0])
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    first = int(offsets[0])
    starts = None if valid is None else offsets[:-1][valid].astype(np.int64)

    def read(at: int) -> np.ndarray:
        if starts is None:  # back to back: read in place, one value apart
            return _packed_words(data[first : first + len(arr) * size], size, at)
        return _words_at(data, starts + at)  # null slots break the spacing: gathered

    # Word positions in a value; for a length not a multiple of 8 the last word overlaps.
    positions = [0] if size <= 8 else sorted({*range(0, size - 7, 8), size - 8})
    keys = np.require(read(0), requirements=["O", "W"])  # a copy of words read in place
    for at in positions[1:]:
        keys *= _MIX
        keys ^= read(at)
    if size < 8:
        keys &= np.uint64((1 << (8 * size)) - 1)  # little-endian: the value's bytes are low
    return IdKeys(keys, size, valid)


def _packed_words(block: np.ndarray, size: int, at: int) -> np.ndarray:
    """The 8 bytes at ``at`` of each ``size``-byte value packed in ``block`` (read in place);
    values shorter than 8 bytes are zero-padded (a new array)."""
    n = len(block) // size
    if size < 8:
        padded = np.zeros((n, 8), dtype=np.uint8)
        padded[:, :size] = block.reshape(n, size)
        return padded.view(np.uint64).ravel()
    return np.ndarray((n,), dtype="<u8", buffer=block, offset=at, strides=(size,))


def _words_at(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 8 bytes at each position of ``data`` as a little-endian uint64; bytes past the
    end read as zeros."""
    if len(data) < 8:
        data = np.concatenate([data, np.zeros(8 - len(data), dtype=np.uint8)])
    last = len(data) - 8  # the last position a whole word can be read from
    words = np.ndarray((last + 1,), dtype="<u8", buffer=data, strides=(1,))
    out = words[np.minimum(at, last)]
    over = at > last
    if over.any():  # a short value at the very end: shift its bytes down from the last word
        shift = np.minimum(at[over] - last, 7).astype(np.uint64) * np.uint64(8)
        out[over] = words[last] >> shift
    return out


def positions(
    columns: list[pa.Array | pa.ChunkedArray], value_set: pa.Array | pa.ChunkedArray
) -> list[np.ndarray | None]:
    """For each column, each value's position in ``value_set`` (distinct strings, no nulls;
    -1: missing or not there), found by exact keys when the ids of both have one length of up
    to 8 bytes; None (not looked up) for a column where they do not.

    Only the non-null values are looked up (a lead id column of activities is mostly empty),
    and every column in one lookup: Arrow builds its hash table of the value set for each
    lookup, about 50 ms for a million customers.
    """
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    known = None if value_set.null_count else id_keys(value_set)
    if known is None or not known.exact:
        return [None] * len(columns)
    keyed = [_keyed(column, known.size) for column in columns]
    parts = [pa.array(keys) for k in keyed if k is not None for keys in k.keys]
    found = _index_in(pa.chunked_array(parts, pa.uint64()), pa.array(known.keys)).fill_null(-1)
    out: list[np.ndarray | None] = []
    at = 0
    for column, k in zip(columns, keyed, strict=True):
        if k is None:
            out.append(None)
            continue
        looked_up = found.slice(at, k.count).to_numpy()
        at += k.count
        if k.rows is None:
            out.append(looked_up)  # every row held a value of the length
            continue
        spread = np.full(len(column), -1, dtype=looked_up.dtype)
        spread[k.rows] = looked_up
        out.append(spread)
    return out


def _index_in(keys: pa.ChunkedArray, value_set: pa.Array) -> pa.ChunkedArray:
    """``pc.index_in`` of many keys, its parts on several cores at once.

    Each probe of a million customers' hash table (50 MB) is a cache miss; Arrow looks them
    up on one thread, but releases the GIL, so parts run side by side, each with its own copy
    of the table (built in ~60 ms). 27M ids among 1M customers, 2 cores: 1.24 -> 0.80 s;
    among 200k: 0.11 -> 0.07 s.
    """
    workers = min(pa.cpu_count(), 4) if len(keys) >= _SPLIT_AT else 1
    if workers < 2:
        return pc.index_in(keys, value_set=value_set)
    step = -(-len(keys) // workers)
    parts = [keys.slice(start, step) for start in range(0, len(keys), step)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="index_in") as pool:
        found = list(pool.map(lambda part: pc.index_in(part, value_set=value_set), parts))
    return pa.chunked_array([chunk for part in found for chunk in part.chunks], pa.int32())


@dataclass(frozen=True)
class _Keyed:
    keys: list[np.ndarray]
    """Per chunk, the keys of its values of the value set's length."""
    rows: np.ndarray | None
    """Their rows in the column (None: every row, in order)."""

    @property
    def count(self) -> int:
        return sum(len(k) for k in self.keys)


def _keyed(column: pa.Array | pa.ChunkedArray, size: int) -> _Keyed | None:
    """The keys of a column's values of ``size`` bytes; None when a chunk mixes lengths (its
    values cannot be keyed exactly). Values of another length are left out: none is there."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    found: list[IdKeys | None] = []
    for chunk in chunks:
        keys = id_keys(chunk) if chunk.null_count < len(chunk) else None  # None: all missing
        if keys is None and chunk.null_count < len(chunk):
            return None
        found.append(keys if keys is not None and keys.size == size else None)
    keys = [k.keys for k in found if k is not None]
    if all(
        k is not None and k.valid is None for k, c in zip(found, chunks, strict=True) if len(c)
    ):
        return _Keyed(keys, None)
    starts = np.cumsum([0] + [len(chunk) for chunk in chunks])
    rows = [start + (np.arange(len(k.keys)) if k.valid is None else np.flatnonzero(k.valid))
            for start, k in zip(starts, found, strict=False) if k is not None]  # fmt: skip
    return _Keyed(keys, np.concatenate(rows or [np.empty(0, np.int64)]))
