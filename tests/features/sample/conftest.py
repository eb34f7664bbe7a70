"""Shared sample exports: one small export on disk, one larger in memory for statistics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.sample import build_tables, generate_export
from features.sample.spec import DEFAULT_AS_OF, HISTORY_DAYS
from features.sample.timeline import to_day

SMALL = 300
LARGE = 3000


@pytest.fixture(scope="session")
def small_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "export"
    meta = generate_export(out, customers=SMALL, seed=11)
    return out, meta


@pytest.fixture(scope="session")
def large_tables() -> tuple[dict[str, pd.DataFrame], dict]:
    """3000 customers, built in memory (no files): enough rows for the statistical checks."""
    as_of = to_day(DEFAULT_AS_OF)
    return build_tables(
        customers=LARGE, seed=5, start=as_of - HISTORY_DAYS, as_of=as_of, drift=None
    )
