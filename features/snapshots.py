"""The snapshot calendar: which dates a training set is built at.

A training snapshot ``s`` is usable when its label window ``(s, s + window_days]`` ends on or
before the export's as-of date. The latest usable date is ``as_of - window_days``; earlier
snapshots walk back from it by ``every``. Month-based steps keep the same day of the month as
the latest snapshot (clamped to the month's last day: 31 Mar - 1M = 28/29 Feb), and each date
is computed from the latest one, so the day of the month never drifts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from crmml.errors import ConfigError

_EVERY = re.compile(r"^\s*(\d+)\s*([DWMQY])\s*$", re.IGNORECASE)
_MONTHS = {"M": 1, "Q": 3, "Y": 12}


def parse_every(every: str) -> tuple[int, str]:
    """Parse a step such as ``1M``, ``2W``, ``14D``, ``1Q`` or ``1Y`` into (count, unit).

    Raises
    ------
    ConfigError
        When the text is not ``<positive integer><D|W|M|Q|Y>``.
    """
    m = _EVERY.match(str(every))
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(
            f"--every / every: expected a step like 1M, 2W, 14D, 1Q or 1Y, found {every!r}"
        )
    return int(m.group(1)), m.group(2).upper()


def step_back(anchor: date, *, steps: int, every: str) -> date:
    """``anchor`` minus ``steps`` times ``every``."""
    n, unit = parse_every(every)
    if unit == "D":
        return anchor - timedelta(days=n * steps)
    if unit == "W":
        return anchor - timedelta(weeks=n * steps)
    months = n * steps * _MONTHS[unit]
    return (pd.Timestamp(anchor) - pd.DateOffset(months=months)).date()


def snapshot_dates(as_of: date, *, snapshots: int, every: str, window_days: int) -> list[date]:
    """The training snapshot dates, oldest first.

    Parameters
    ----------
    as_of : the export's cut-off date.
    snapshots : how many dates (K).
    every : the step between dates (see :func:`parse_every`).
    window_days : the task's prediction window; the latest snapshot is ``as_of - window_days``.
    """
    if snapshots <= 0:
        raise ConfigError(f"--snapshots / snapshots: expected a positive count, found {snapshots}")
    latest = as_of - timedelta(days=window_days)
    dates = [step_back(latest, steps=k, every=every) for k in range(snapshots)]
    return sorted(set(dates))


def label_window(snapshot: date, window_days: int) -> tuple[date, date]:
    """The label window ``(start, end]``: after the snapshot, up to ``window_days`` later."""
    return snapshot, snapshot + timedelta(days=window_days)
