"""Time helpers of the sample generator: days as numbers, events drawn in intervals, text dates.

Inside the generator a date is a float number of days since 1970-01-01 (local time,
Asia/Shanghai), so whole populations are drawn with array arithmetic.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

_EPOCH = np.datetime64("1970-01-01", "D")


def to_day(d: date) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(d, "D") - _EPOCH).astype(int))


def poisson_times(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process per owner on ``[lo, hi)`` with ``rate`` events per day.

    Returns the owner index and the time (float day) of every event.
    """
    span = np.clip(hi - lo, 0.0, None)
    n = rng.poisson(rate * span)
    owner = np.repeat(np.arange(len(lo)), n)
    t = lo[owner] + rng.random(len(owner)) * span[owner]
    return owner, t


def _lookup(values: np.ndarray, render) -> np.ndarray:
    """Render each distinct integer once (dates repeat a lot), then index: fast on 1M rows."""
    lo, hi = int(values.min(initial=0)), int(values.max(initial=0))
    table = render(np.arange(lo, hi + 1)).astype(object)
    return table[values - lo]


def _dates(d: np.ndarray) -> np.ndarray:
    return _lookup(d, lambda x: np.datetime_as_string(x.astype("datetime64[D]"), unit="D"))


@lru_cache(maxsize=2)
def _clock_table(unit: str) -> np.ndarray:
    """``HH:MM`` (unit m) or ``HH:MM:SS`` (unit s) for every second of a day."""
    text = np.datetime_as_string(np.arange(86400).astype("datetime64[s]"), unit="s")
    return np.array([t[11:16] if unit == "m" else t[11:19] for t in text.tolist()], dtype=object)


def _clock(secs: np.ndarray, unit: str) -> np.ndarray:
    return _clock_table(unit)[secs]


def day_text(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` strings (object array) from float days; NaN becomes None."""
    days = np.asarray(days, dtype=float)
    missing = np.isnan(days)
    out = _dates(np.where(missing, 0, np.floor(days)).astype("int64"))
    out[missing] = None
    return out


def _split(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    secs = np.floor(np.asarray(days, dtype=float) * 86400).astype("int64")
    return secs // 86400, secs % 86400


def time_text(days: np.ndarray) -> np.ndarray:
    """Local date-time strings (``YYYY-MM-DD HH:MM``) from float days."""
    day, sec = _split(days)
    return _dates(day) + " " + _clock(sec, "m")


def offset_text(days: np.ndarray, utc: np.ndarray) -> np.ndarray:
    """ISO timestamps of local (UTC+8) times: ``+08:00`` offset, or ``Z`` where ``utc``."""
    days = np.asarray(days, dtype=float)
    day, sec = _split(np.where(utc, days - 8 / 24, days))
    return _dates(day) + "T" + _clock(sec, "s") + np.where(utc, "Z", "+08:00").astype(object)


def working_hours(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Move each event to a plausible local time of day (mostly 08:30-19:00)."""
    hour = np.clip(rng.normal(13.5, 2.8, len(days)), 0.0, 23.99)
    return np.floor(days) + hour / 24.0


def mask(rng: np.random.Generator, n: int, p: float | np.ndarray) -> np.ndarray:
    """Boolean mask, True with probability ``p``."""
    return rng.random(n) < p


def pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """Indices drawn with probabilities ``p``."""
    return rng.choice(len(p), size=n, p=p)
