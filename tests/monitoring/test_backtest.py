"""Which version was champion at a date, from the promotion log.

The end-to-end backtest (a real store and sample export) runs in
``tests/retraining/test_job.py``, which already holds a trained store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from monitoring.backtest import champion_at

LOG = [
    {"n": 1, "at": "2026-01-10T02:00:00Z", "action": "approve", "from": None, "to": "1"},
    {"n": 2, "at": "2026-03-05T02:00:00Z", "action": "approve", "from": "1", "to": "3"},
    {"n": 3, "at": "2026-03-07T09:30:00Z", "action": "rollback", "from": "3", "to": "1"},
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_champion_at_follows_promotions_and_rollbacks():
    assert champion_at(LOG, at("2026-01-01T00:00:00")) is None
    assert champion_at(LOG, at("2026-02-01T00:00:00")) == "1"
    assert champion_at(LOG, at("2026-03-06T00:00:00")) == "3"
    assert champion_at(LOG, at("2026-03-08T00:00:00")) == "1"


def test_log_order_is_by_entry_number():
    assert champion_at(list(reversed(LOG)), at("2026-03-06T00:00:00")) == "3"
