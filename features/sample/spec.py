"""The options of one sample export, checked once at the edge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from crmml.errors import CrmmlError

DEFAULT_AS_OF = date(2026, 6, 30)
HISTORY_DAYS = 3 * 365 + 1
LOCALES = ("en", "zh")
FORMATS = ("csv", "parquet")
MIN_CUSTOMERS = 10
MAX_CUSTOMERS = 2_000_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class SampleSpec:
    """Validated options of :func:`features.sample.generate_export`."""

    customers: int
    seed: int
    locale: str
    fmt: str
    as_of: date
    start: date
    """First day of the exported history (about three years before ``as_of``)."""
    drift: date | None


def _date(value: str | date, option: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise CrmmlError(f"{option}: expected a date as YYYY-MM-DD, found {value!r}")


def make_spec(
    *,
    customers: int,
    seed: int,
    locale: str,
    fmt: str,
    as_of: str | date | None,
    drift: str | date | None,
) -> SampleSpec:
    """Check the options; every problem is reported, one line each."""
    problems = []
    if not isinstance(customers, int) or not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        problems.append(
            f"--customers: expected a whole number from {MIN_CUSTOMERS} to {MAX_CUSTOMERS:,}, "
            f"found {customers!r}"
        )
    if not isinstance(seed, int) or seed < 0:
        problems.append(f"--seed: expected a whole number >= 0, found {seed!r}")
    if locale not in LOCALES:
        problems.append(f"--locale: expected one of {', '.join(LOCALES)}, found {locale!r}")
    if fmt not in FORMATS:
        problems.append(f"--format: expected one of {', '.join(FORMATS)}, found {fmt!r}")
    day = DEFAULT_AS_OF
    shift = None
    try:
        day = _date(as_of, "--as-of") if as_of is not None else DEFAULT_AS_OF
    except CrmmlError as exc:
        problems.append(str(exc))
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        problems.append(f"--as-of: expected a date from 2000-01-01 to 2100-12-31, found {day}")
        day = DEFAULT_AS_OF
    start = day - timedelta(days=HISTORY_DAYS)
    if drift is not None:
        try:
            shift = _date(drift, "--drift")
            if not start + timedelta(days=180) <= shift <= day - timedelta(days=30):
                problems.append(
                    f"--drift: expected a date between {start + timedelta(days=180)} and "
                    f"{day - timedelta(days=30)} (inside the history before --as-of {day}), "
                    f"found {shift}"
                )
        except CrmmlError as exc:
            problems.append(str(exc))
    if problems:
        raise CrmmlError("invalid demo-data options", problems=problems)
    return SampleSpec(customers, seed, locale, fmt, day, start, shift)
