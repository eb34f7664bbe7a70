"""Date parsing: formats, unparseable cells, time-zone conversion of offset timestamps."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.dates import to_calendar_dates

TZ = "Asia/Shanghai"


def _dates(values: list, tz: str = TZ) -> tuple[list, list]:
    dates, bad = to_calendar_dates(pd.Series(values, dtype="str"), tz=tz)
    return [None if pd.isna(d) else d.date().isoformat() for d in dates], bad.tolist()


def test_common_formats_become_calendar_dates() -> None:
    dates, bad = _dates(["2026-06-30", "2026/6/3", " 2026年6月30日 ", "2026-06-30 14:05:00"])
    assert dates == ["2026-06-30", "2026-06-03", "2026-06-30", "2026-06-30"]
    assert bad == [False] * 4


def test_result_is_midnight_datetime64() -> None:
    dates, _ = to_calendar_dates(pd.Series(["2026-06-30 23:59:59"], dtype="str"), tz=TZ)
    assert pd.api.types.is_datetime64_dtype(dates.dtype)
    assert dates.iloc[0] == pd.Timestamp("2026-06-30")


def test_unparseable_cells_are_flagged_and_blanks_are_not() -> None:
    dates, bad = _dates(["yesterday", "", None, "2026-13-45", "2026-01-02"])
    assert dates == [None, None, None, None, "2026-01-02"]
    assert bad == [True, False, False, True, False]


def test_offset_timestamp_is_converted_to_the_configured_zone_first() -> None:
    dates, _ = _dates(["2026-06-30T20:00:00Z", "2026-06-30T20:00:00+08:00", "2026-06-30T20:00"])
    # 20:00 UTC is 04:00 on 1 July in Shanghai; +08:00 and naive values are already local.
    assert dates == ["2026-07-01", "2026-06-30", "2026-06-30"]


def test_same_instant_gives_the_local_date_of_another_zone() -> None:
    dates, _ = _dates(["2026-07-01T02:00:00+08:00"], tz="UTC")
    assert dates == ["2026-06-30"]


def test_typed_inputs_from_parquet() -> None:
    aware = pd.Series(pd.to_datetime(["2026-06-30T20:00:00Z"], utc=True))
    assert to_calendar_dates(aware, tz=TZ)[0].iloc[0] == pd.Timestamp("2026-07-01")
    naive = pd.Series(pd.to_datetime(["2026-06-30 23:00"]))
    assert to_calendar_dates(naive, tz=TZ)[0].iloc[0] == pd.Timestamp("2026-06-30")
    objects = pd.Series([dt.date(2026, 1, 2), None], dtype=object)
    dates, bad = to_calendar_dates(objects, tz=TZ)
    assert dates.iloc[0] == pd.Timestamp("2026-01-02") and pd.isna(dates.iloc[1])
    assert not bad.any()


def test_bare_numbers_are_not_guessed() -> None:
    dates, bad = to_calendar_dates(pd.Series([45000.0, None]), tz=TZ)
    assert dates.isna().all()
    assert bad.tolist() == [True, False]


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_single(n: int) -> None:
    dates, bad = to_calendar_dates(pd.Series(["2026-01-01"] * n, dtype="str"), tz=TZ)
    assert len(dates) == len(bad) == n


@settings(max_examples=60, deadline=None)
@given(
    instant=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    offset_minutes=st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15),
    tz=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"]),
)
def test_offset_timestamps_land_on_the_local_date(instant, offset_minutes, tz) -> None:  # noqa: ANN001
    aware = instant.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset_minutes)))
    expected = pd.Timestamp(aware).tz_convert(tz).date()
    dates, bad = to_calendar_dates(pd.Series([aware.isoformat()], dtype="str"), tz=tz)
    assert not bad.iloc[0]
    assert dates.iloc[0].date() == expected
