from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.build import snapshot_features
from features.customer_features import _category_firsts
from features.event_table import EventTable, _day_order, codes
from features.event_tables import day_numbers, normalize_names
from features.events import _categories, _universe, prepare
from tests.features.pit_data import base_exports, exports, order


def _table(seed: int, events: int = 400, entities: int = 20) -> EventTable:
    rng = np.random.default_rng(seed)
    days = rng.integers(100, 160, events).astype(float)
    ids = pd.Series([f"E{i}" for i in rng.integers(0, entities, events)], dtype="string")
    index = pd.Index([f"E{i}" for i in range(entities)], dtype=object)
    amount = rng.gamma(2.0, 333.3, events).round(2)
    return EventTable.build(index, ids, days, {"amount": amount, "paid": rng.random(events) > 0.3})


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), days=st.lists(st.integers(90, 170), min_size=1, max_size=8))
def test_folded_totals_equal_one_pass_in_any_snapshot_order(seed: int, days: list[int]) -> None:
    t, n = _table(seed), 20
    for s in days:
        one_pass = t.count(n, t.span(-np.inf, s), t.cols["amount"])
        # Bit for bit, not approximately: training sets must not depend on the snapshot order.
        assert np.array_equal(t.total_upto("spend", n, s, t.cols["amount"]), one_pass)
        rows = t.span(-np.inf, s)
        paid = t.cols["paid"][rows]
        last = np.full(n, -np.inf)
        np.maximum.at(last, t.code[rows][paid], t.day[rows][paid])
        last[np.isinf(last)] = np.nan
        folded = t.day_upto("last_paid", n, s, keep=t.cols["paid"])
        assert np.array_equal(folded, last, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    days=st.lists(st.integers(0, 1100), min_size=1, max_size=8),
    window=st.sampled_from([30, 180, 365]),
)
def test_window_counts_equal_the_bincount_in_any_snapshot_order(
    seed: int, days: list[int], window: int
) -> None:
    rng = np.random.default_rng(seed)
    code = rng.integers(0, 50, 3000)
    day = np.sort(rng.integers(0, 1000, 3000)).astype(float)
    t = EventTable(code=code, day=day, cols={"paid": (rng.random(3000) > 0.3).astype(float)})
    for s in days:
        rows = t.span(s - window, s)
        for name, w in (("paid", t.cols["paid"]), ("rows", None)):
            got = t.window_count(name, 50, s - window, s, w)
            assert np.array_equal(got, t.count(50, rows, w))  # bit for bit


def test_window_counts_refuse_fractional_weights() -> None:
    t = _table(2)
    with pytest.raises(ValueError, match="whole numbers"):
        t.window_count("spend", 20, -100.0, 160.0, t.cols["amount"])


def test_folded_values_are_copies() -> None:
    t = _table(1)
    first = t.total_upto("count", 20, 130)
    first[:] = -1
    assert (t.total_upto("count", 20, 130) >= 0).all()


def test_day_order_is_the_stable_float_order() -> None:
    rng = np.random.default_rng(3)
    for days in (rng.integers(-50, 50, 500), rng.integers(0, 200_000, 500)):
        days = days.astype(float)
        assert np.array_equal(_day_order(days), np.argsort(days, kind="stable"))
    half_days = rng.integers(0, 5, 100) + 0.5
    assert np.array_equal(_day_order(half_days), np.argsort(half_days, kind="stable"))


def test_snapshot_order_does_not_change_features() -> None:
    ex = base_exports()
    snapshots = [date(2024, 6, 30), date(2024, 3, 31), date(2024, 7, 15)]
    shared = prepare(ex)  # folds forward and starts over when a snapshot goes back in time
    for task in ("churn", "lead_score"):
        for s in snapshots:
            fresh = snapshot_features(ex, task=task, snapshot=s)
            reused = snapshot_features(ex, task=task, snapshot=s, prepared=shared)
            pd.testing.assert_frame_equal(reused, fresh)


def test_day_numbers_floor_like_calendar_dates() -> None:
    stamps = pd.Series(pd.to_datetime(["1969-12-31 23:00", "1970-01-02 00:00", None]))
    for unit in ("ns", "us", "s"):
        days = day_numbers(stamps.astype(f"datetime64[{unit}]"))
        assert np.array_equal(days, [-1.0, 1.0, np.nan], equal_nan=True)


def test_ids_in_first_appearance_order_and_last_customer_row_wins() -> None:
    ex = exports(
        customers=[
            {"customer_id": "b", "industry": "old"},
            {"customer_id": "a"},
            {"customer_id": "b", "industry": "new"},
        ],
        orders=[order("1", "z", "2024-01-02"), order("2", "a", "2024-01-01")],
    )
    prep = prepare(ex)
    assert list(prep.customer_ids) == ["b", "a", "z"]  # customers first, then orders-only ids
    assert prep.customers["industry"].tolist()[0] == "new"
    assert prep.customers["industry"].isna().tolist() == [False, True, True]
    assert prep.orders.code.tolist() == [1, 2]  # sorted by day: a's order, then z's


def _ids(*values: str | None) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.array(list(values), dtype="string")})


def test_universe_codes_other_tables_without_adding_their_ids() -> None:
    frames = {
        "customers": _ids("b", "a", None),
        "orders": _ids("z", "a", None, "y", "z"),
        "tickets": _ids("q", "y", None),
        "contacts": _ids("a"),
    }
    index, found = _universe({**frames, "none": None}, "customer_id", defining=2)
    assert list(index) == ["b", "a", "z", "y"]  # orders-only ids after, in order of appearance
    assert found["customers"].tolist() == [0, 1, -1]
    assert found["orders"].tolist() == [2, 1, -1, 3, 2]
    assert found["tickets"].tolist() == [-1, 3, -1]  # "q" is no customer
    assert found["contacts"].tolist() == [1]
    assert found["none"] is None


def test_universe_of_empty_or_missing_defining_tables() -> None:
    index, found = _universe(
        {"leads": _ids(), "activities": _ids("x", None)}, "customer_id", defining=1
    )
    assert list(index) == [] and found["leads"].tolist() == []
    assert found["activities"].tolist() == [-1, -1]
    index, found = _universe({"leads": None, "activities": _ids("x")}, "customer_id", defining=1)
    assert list(index) == [] and found["leads"] is None and found["activities"].tolist() == [-1]


def test_categories_like_factorize_in_small_integers() -> None:
    values = pd.Series(["b", None, "a", "b", "c"], dtype="string")
    codes, names = _categories(values)
    expected, uniques = pd.factorize(values)
    assert codes.dtype == np.int8
    assert codes.tolist() == expected.tolist() and names == list(uniques)
    # An event table's categorical (categories in another order, one unused): the same.
    cats = pd.Series(pd.Categorical(values, categories=["c", "z", "a", "b"]))
    again, again_names = _categories(cats)
    assert again.tolist() == expected.tolist() and again_names == list(uniques)


def test_codes_of_a_categorical_are_those_of_its_strings() -> None:
    known = pa.array(["email", "call", "visit"], pa.large_string())
    text = pd.Series(["call", None, "wechat", "visit", "call"], dtype="str")
    category = pd.Series(pd.Categorical(text, categories=["wechat", "visit", "call", "meeting"]))
    assert codes(known, category, np.int8).tolist() == codes(known, text, np.int8).tolist()
    assert codes(known, text, np.int8).tolist() == [1, -1, -1, 2, 1]


def test_category_breadth_counts_first_purchases() -> None:
    ex = exports(
        customers=[{"customer_id": "a"}, {"customer_id": "b"}],
        orders=[
            order("1", "a", "2024-01-01", product_category="x"),
            order("2", "a", "2024-01-05", product_category="x"),
            order("3", "a", "2024-02-01", product_category="y"),
            order("4", "b", "2024-01-03", product_category="y"),
        ],
    )
    prep = prepare(ex)
    firsts = _category_firsts(prep)
    assert firsts.code.tolist() == [0, 1, 0] and firsts.day.tolist() == sorted(firsts.day)
    assert firsts.total_upto("breadth", 2, firsts.day[-1]).tolist() == [2.0, 1.0]


def test_normalized_names_are_one_array_from_a_chunked_column() -> None:
    chunks = [pa.array(["ABC Co., Ltd."]), pa.array([None, "ＡＢＣ公司"], pa.string())]
    names = pd.Series(pd.array(pa.chunked_array(chunks), dtype="str"))
    normalized = normalize_names(names, len(names))
    assert isinstance(normalized, pa.Array) and normalized.type == pa.large_string()
    assert normalized[1].as_py() is None and normalized[0] == normalized[2]
