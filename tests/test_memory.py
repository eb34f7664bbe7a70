"""crmml.memory: the allocator setting of batch jobs changes no result and is undone after."""

import numpy as np

from crmml.memory import reuse_freed_memory


@reuse_freed_memory()
def _job(n: int) -> float:
    total = 0.0
    for _ in range(3):  # same-sized arrays allocated and freed, as in a snapshot loop
        total += float(np.ones(n).sum())
    return total


def test_decorated_job_runs_and_returns_its_result() -> None:
    assert _job(5_000_000) == 15_000_000.0
    assert _job(10) == 30.0  # usable again: the settings are restored and set per call


def test_an_error_inside_still_leaves_the_block() -> None:
    try:
        with reuse_freed_memory():
            raise KeyError("boom")
    except KeyError:
        pass
    with reuse_freed_memory():
        assert np.zeros(3).sum() == 0.0
