from datetime import date, timedelta

import pytest

from crmml.errors import ConfigError
from features.snapshots import label_window, parse_every, snapshot_dates, step_back


@pytest.mark.parametrize(
    "text, expected",
    [("1M", (1, "M")), ("2W", (2, "W")), ("14D", (14, "D")), ("1Q", (1, "Q")), ("1y", (1, "Y"))],
)
def test_parse_every(text, expected):
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "M", "0M", "1H", "-1M", "1.5M", "monthly"])
def test_parse_every_rejects(text):
    with pytest.raises(ConfigError, match="expected a step like 1M"):
        parse_every(text)


def test_latest_snapshot_label_window_ends_on_as_of():
    as_of = date(2024, 12, 31)
    dates = snapshot_dates(as_of, snapshots=3, every="1M", window_days=90)
    assert dates == [date(2024, 8, 2), date(2024, 9, 2), date(2024, 10, 2)]
    assert dates[-1] + timedelta(days=90) == as_of
    assert all(label_window(d, 90)[1] <= as_of for d in dates)


def test_month_steps_keep_day_of_month_clamped_without_drift():
    # latest snapshot 31 Mar: Feb has no 31st (clamped), Jan keeps the 31st (no drift).
    dates = snapshot_dates(date(2024, 4, 30), snapshots=4, every="1M", window_days=30)
    assert dates == [date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_day_week_and_quarter_steps():
    as_of = date(2024, 6, 30)
    assert snapshot_dates(as_of, snapshots=3, every="2W", window_days=0) == snapshot_dates(
        as_of, snapshots=3, every="14D", window_days=0
    )
    assert snapshot_dates(as_of, snapshots=2, every="14D", window_days=0) == [
        date(2024, 6, 16),
        date(2024, 6, 30),
    ]
    assert snapshot_dates(as_of, snapshots=2, every="1Q", window_days=0) == [
        date(2024, 3, 30),
        date(2024, 6, 30),
    ]
    assert step_back(date(2024, 2, 29), steps=1, every="1Y") == date(2023, 2, 28)


def test_snapshot_count_must_be_positive():
    with pytest.raises(ConfigError, match="--snapshots"):
        snapshot_dates(date(2024, 1, 1), snapshots=0, every="1M", window_days=90)


def test_label_window():
    assert label_window(date(2024, 1, 1), 60) == (date(2024, 1, 1), date(2024, 3, 1))
