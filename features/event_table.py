"""Events of one kind as day-sorted numpy arrays: the structure every snapshot slices.

``EventTable`` rows are sorted by day, so "events on or before the snapshot" is one
``searchsorted`` and per-entity counts and sums are ``np.bincount`` over a slice; whole-history
values are folded forward from snapshot to snapshot. Converters from export tables live in
:mod:`features.event_tables`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.id_keys import positions


def id_array(index: pd.Index) -> pa.Array:
    """An entity index as an Arrow string array: convert once, pass it to :func:`codes`."""
    return pa.array(pd.Series(np.asarray(index, dtype=object), dtype="string"))


def codes(index: pd.Index | pa.Array, ids: pd.Series, dtype=np.int64) -> np.ndarray:
    """Positions of ``ids`` in the unique ``index`` (-1 when absent or missing), as ``dtype``
    (a small one for a small index: no event-sized int64 temporary)."""
    return many_codes(index, [ids], dtype)[0]


def many_codes(
    index: pd.Index | pa.Array, columns: list[pd.Series], dtype=np.int64
) -> list[np.ndarray]:
    """:func:`codes` of each column, the ids of all of them looked up together."""
    # Arrow's hash lookup (index_in) of string ids is several times faster than
    # Index.get_indexer on Python strings, and its table holds only the index's values; ids
    # of one length up to 8 bytes are looked up as 64-bit keys, twice as fast again.
    keys = index if isinstance(index, pa.Array) else id_array(index)
    out: list[np.ndarray | None] = [None] * len(columns)
    text = {}
    for i, ids in enumerate(columns):
        if isinstance(ids.dtype, pd.CategoricalDtype):  # each category once, spread back
            per_category = codes(keys, pd.Series(ids.cat.categories, dtype="string"), dtype)
            out[i] = np.append(per_category, np.array(-1, dtype=dtype))[ids.cat.codes.to_numpy()]
        else:
            text[i] = pa.array(ids.astype("string"))
    found_by_keys = positions(list(text.values()), keys) if text else []
    for i, found in zip(text, found_by_keys, strict=True):
        if found is None:
            found = pc.index_in(text[i], value_set=keys).fill_null(-1)
            found = found.to_numpy(zero_copy_only=False)
        out[i] = found.astype(dtype)
    return out


def _day_order(days: np.ndarray) -> np.ndarray:
    """The stable sort order of day numbers.

    Whole days spanning less than 65536 days sort as uint16 offsets, which numpy sorts
    stably by radix (linear, several times faster than sorting float64); same order. The
    offsets are written straight into uint16 and checked block by block: at millions of
    events a full-size float64 temporary costs more in fresh pages than the sort itself.
    """
    if len(days) and days.max() - days.min() < 1 << 16:
        low = days.min()
        small = np.empty(len(days), dtype=np.uint16)
        np.subtract(days, low, out=small, casting="unsafe")
        if _whole_offsets(days, low, small):
            return np.argsort(small, kind="stable")
    return np.argsort(days, kind="stable")


def _whole_offsets(days: np.ndarray, low: float, small: np.ndarray) -> bool:
    """Whether ``small`` (uint16) is exactly ``days - low``, i.e. the days are whole."""
    step = 1 << 20
    return all(
        np.array_equal(small[i : i + step], days[i : i + step] - low)
        for i in range(0, len(days), step)
    )


LONG_WINDOW_DAYS = 180
"""Windows this long or longer are counted by folding (:meth:`EventTable.window_count`)."""


def _whole(weights: np.ndarray) -> bool:
    return bool(np.array_equal(weights, np.trunc(weights)))


@dataclass
class EventTable:
    """Events of one kind, sorted by day: ``code[i]`` did something on ``day[i]``."""

    code: np.ndarray
    day: np.ndarray
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Names of coded columns: ``labels[name][k]`` is what code ``k`` of ``cols[name]`` means."""
    folds: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict, repr=False)
    """State of :meth:`fold_upto` per name: rows folded so far and the per-entity values."""

    @classmethod
    def build(
        cls,
        index: pd.Index | pa.Array,
        ids: pd.Series,
        days: np.ndarray,
        cols: dict[str, np.ndarray],
    ) -> EventTable:
        return cls.from_codes(codes(index, ids), days, cols)

    @classmethod
    def from_codes(
        cls, code: np.ndarray, days: np.ndarray, cols: dict[str, np.ndarray]
    ) -> EventTable:
        """Like :meth:`build`, with the entity codes already looked up."""
        valid = (code >= 0) & ~np.isnan(days)
        if valid.all():  # the usual case: no index arrays the size of the table
            rows = _day_order(days)
        else:
            kept = np.flatnonzero(valid)
            rows = kept[_day_order(days[kept])]
        return cls(  # one gather per column
            code=code[rows],
            day=days[rows],
            cols={k: np.asarray(v)[rows] for k, v in cols.items()},
        )

    @classmethod
    def empty(cls, names: tuple[str, ...] = ()) -> EventTable:
        return cls(np.empty(0, np.int64), np.empty(0), {n: np.empty(0) for n in names})

    def span(self, after: float, upto: float) -> slice:
        """Rows with ``after < day <= upto``."""
        lo = np.searchsorted(self.day, after, side="right")
        hi = np.searchsorted(self.day, upto, side="right")
        return slice(int(lo), int(hi))

    def fold_upto(
        self,
        name: str,
        upto: float,
        init: Callable[[], np.ndarray],
        fold: Callable[[np.ndarray, slice], None],
    ) -> np.ndarray:
        """Per-entity values folded over all rows with ``day <= upto`` (a fresh copy).

        Snapshots come in date order, so each call folds in only the rows since the last one
        instead of the whole history again (an earlier ``upto`` starts over). ``fold`` must
        update the values in place in row order, like ``np.add.at`` or ``np.maximum.at``:
        then the result is bit for bit the one of a single pass over the history.
        """
        return self._folded(name, upto, init, fold).copy()

    def _folded(self, name: str, upto: float, init, fold) -> np.ndarray:
        """:meth:`fold_upto` without the copy: the live state, valid until the next call."""
        hi = int(np.searchsorted(self.day, upto, side="right"))
        state = self.folds.get(name)
        if state is None or state[0] > hi:
            state = (0, init())
        done, values = state
        fold(values, slice(done, hi))
        self.folds[name] = (hi, values)
        return values

    def total_upto(self, name: str, n: int, upto: float, weights: np.ndarray | None = None):
        """Per-entity count (or weighted sum) of rows with ``day <= upto``; see
        :meth:`fold_upto`. Equals ``count(n, span(-inf, upto), weights)`` exactly."""
        return self._total(name, n, upto, weights).copy()

    def _total(self, name: str, n: int, upto: float, weights: np.ndarray | None) -> np.ndarray:
        def add(values: np.ndarray, rows: slice) -> None:
            # Flags (booleans) widened first: ``add.at`` is fast only without a cast.
            w = 1.0 if weights is None else weights[rows].astype(np.float64, copy=False)
            np.add.at(values, self.code[rows], w)

        return self._folded(name, upto, lambda: np.zeros(n), add)

    def window_count(
        self, name: str, n: int, after: float, upto: float, weights: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-entity count of rows with ``after < day <= upto``, i.e. ``count(n, span(after,
        upto), weights)``, for whole-number ``weights`` (flags) only.

        A window of :data:`LONG_WINDOW_DAYS` or more is the difference of two forward folds
        (``name`` up to ``upto`` and up to ``after``): monthly snapshots then add a month of
        rows to each instead of re-counting a year, and with whole numbers the float64
        difference is exact, so the result is bit for bit the bincount's. ``name`` must always
        come with the same ``weights``. Shorter windows are one bincount.
        """
        if upto - after < LONG_WINDOW_DAYS:
            return self.count(n, self.span(after, upto), weights)
        if weights is not None and name not in self.folds and not _whole(weights):
            raise ValueError(f"window_count {name!r}: weights must be whole numbers")
        upper = self._total(name, n, upto, weights)
        return upper - self._total(f"{name}@{upto - after:g}", n, after, weights)

    def day_upto(
        self,
        name: str,
        n: int,
        upto: float,
        *,
        first: bool = False,
        keep: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per-entity day of the last (or ``first``) row among ``keep`` with ``day <= upto``;
        NaN when there is none."""
        ufunc, none = (np.minimum, np.inf) if first else (np.maximum, -np.inf)

        def extreme(values: np.ndarray, rows: slice) -> None:
            code, day = self.code[rows], self.day[rows]
            if keep is not None:
                code, day = code[keep[rows]], day[keep[rows]]
            ufunc.at(values, code, day)

        days = self.fold_upto(name, upto, lambda: np.full(n, none), extreme)
        days[np.isinf(days)] = np.nan
        return days

    def count(self, n: int, rows: slice | np.ndarray, weights: np.ndarray | None = None):
        """Per-entity count (or weighted sum) over ``rows``, as float64 of length ``n``."""
        code = self.code[rows]
        w = None if weights is None else weights[rows]
        return np.bincount(code, weights=w, minlength=n).astype("float64", copy=False)
