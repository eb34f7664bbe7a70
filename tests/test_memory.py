"""crmml.memory: the allocator settings of batch jobs change no result and are undone after."""

import gc
import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from numpy._core.multiarray import _set_madvise_hugepage

from crmml.memory import ARROW_PURGE_DELAY, keep_freed_arrow_memory, paused_gc, reuse_freed_memory


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


def test_numpy_huge_page_advice_is_restored_after_the_block() -> None:
    before = _set_madvise_hugepage(True)
    try:
        with reuse_freed_memory():
            assert _set_madvise_hugepage(False) is False  # off inside the block
        assert _set_madvise_hugepage(True) is True  # restored
    finally:
        _set_madvise_hugepage(before)


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_arrow_memory_setting_keeps_a_user_value(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if pyarrow were loaded: no change
    monkeypatch.delenv(ARROW_PURGE_DELAY, raising=False)
    keep_freed_arrow_memory()
    assert ARROW_PURGE_DELAY not in os.environ
    monkeypatch.delitem(sys.modules, "pyarrow")
    monkeypatch.setenv(ARROW_PURGE_DELAY, "50")
    keep_freed_arrow_memory()
    assert os.environ[ARROW_PURGE_DELAY] == "50"
    monkeypatch.delenv(ARROW_PURGE_DELAY)
    keep_freed_arrow_memory()
    assert os.environ[ARROW_PURGE_DELAY] == "-1"


_THREAD_REUSE = """
import resource, sys
from concurrent.futures import ThreadPoolExecutor
from crmml import memory
if sys.argv[1] == "shared":
    memory.share_one_malloc_arena()
import numpy as np

def faults_of_second_array():
    np.ones(96 << 20, dtype=np.uint8)  # freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(96 << 20, dtype=np.uint8)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

with memory.reuse_freed_memory(), ThreadPoolExecutor(1) as worker:
    print(worker.submit(faults_of_second_array).result() * resource.getpagesize() >> 20)
"""


def _faulted_mb_in_worker(mode: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", _THREAD_REUSE, mode], capture_output=True, text=True, check=True
    )
    return int(proc.stdout.strip())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator settings")
def test_a_worker_thread_reuses_a_freed_big_array_with_one_shared_arena() -> None:
    # A thread's own arena cannot hold 96 MB: the array is mapped afresh each time.
    assert _faulted_mb_in_worker("own") > 80
    assert _faulted_mb_in_worker("shared") < 10  # the main heap's freed memory is reused


_NESTED = """
import resource
from crmml import memory
import numpy as np

with memory.reuse_freed_memory():
    with memory.reuse_freed_memory():  # a job's own block inside a command's
        np.ones(96 << 20, dtype=np.uint8)  # freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(96 << 20, dtype=np.uint8)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
          * resource.getpagesize() >> 20)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator settings")
def test_an_inner_block_leaves_the_heap_to_the_outer_one() -> None:
    # Had the inner block restored glibc's defaults, the freed 96 MB would be gone.
    proc = subprocess.run([sys.executable, "-c", _NESTED], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert int(proc.stdout.strip()) < 10
