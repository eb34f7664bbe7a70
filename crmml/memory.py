"""Allocator settings for batch jobs that allocate and free many large arrays.

With glibc's defaults, freed memory at the top of the heap goes back to the kernel and arrays
of a few MB move to ``mmap`` once freed ones pass the (dynamic) threshold, so every snapshot
of a feature build faults in fresh zeroed pages for the same-sized columns again: at a
million customers about a third of the CPU time is kernel time. :func:`reuse_freed_memory`
keeps freed memory in the heap for reuse while a job runs (1M-customer build, 3 runs each:
~1.2 s less of ~25 s, peak RSS 7.1 -> 7.25 GB) and gives it back at the end; the mmap
threshold stays at 32 MB afterwards (glibc cannot switch its dynamic threshold back on).
Hand-written (``ctypes`` over ``mallopt``) because glibc reads its ``MALLOC_*`` variables
only at process start, too late for a library call; a no-op where the C library is not glibc.

Arrow allocates from its own mimalloc, which hands freed pages back to the kernel after
10 ms: :func:`keep_freed_arrow_memory`, called by the ``crmml`` command before anything loads
pyarrow, keeps them for reuse. :func:`paused_gc` keeps the cyclic garbage collector out of a
build that creates no reference cycles but millions of objects it would scan again and again.
"""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MIB = 1 << 20


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def _numpy_hugepages(enabled: bool) -> bool | None:
    """Switch numpy's huge-page advice for new arrays; returns the previous setting (None:
    this numpy has no such switch)."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        return None
    return bool(_set_madvise_hugepage(enabled))


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Inside the block, freed heap memory stays in the process for the next allocation, and
    new numpy arrays are not advised to the kernel as huge-page candidates.

    numpy advises every array of 4 MB or more for transparent huge pages; where the kernel
    then compacts memory to find one (``defrag=madvise``, this machine's and a common
    default), a fault can stall for a compaction. The same million-customer build spent about
    7 s in the kernel with the advice and 3.6 s without (200k customers: no change).
    """
    hugepages = _numpy_hugepages(False)
    try:
        with _heap_kept():
            yield
    finally:
        if hugepages is not None:
            _numpy_hugepages(hugepages)


@contextmanager
def _heap_kept() -> Iterator[None]:
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 32 * _MIB)  # glibc's maximum: arrays up to 32 MB reuse heap
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)  # trim only when 1 GB lies free at the top
    libc.mallopt(_M_TOP_PAD, 512 * _MIB)  # grow the heap in big steps
    try:
        yield
    finally:
        libc.mallopt(_M_TOP_PAD, 128 * 1024)  # glibc's defaults
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
        libc.malloc_trim(0)


ARROW_PURGE_DELAY = "MIMALLOC_PURGE_DELAY"


def keep_freed_arrow_memory() -> None:
    """Let Arrow's allocator keep the memory Arrow frees for reuse, for the whole process.

    Each snapshot of a feature build gathers its rows into Arrow buffers and encodes them to
    Parquet, then frees them; mimalloc's default returns those pages to the kernel 10 ms later,
    so the next snapshot faults in the same amount of fresh zeroed pages. At a million
    customers that was about 3 s of kernel time of a 20 s build (-1: never purge; measured
    in ``benchmarks/features.py``). mimalloc reads the setting once, when pyarrow loads, so
    this must run first: the ``crmml`` command calls it at start-up; later it does nothing.
    A value already in the environment is kept.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault(ARROW_PURGE_DELAY, "-1")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Inside the block the cyclic garbage collector does not run (reference counting does).

    For a job that makes millions of objects (ids, pseudonyms) and no reference cycles: each
    full collection scans them all again, 0.5 s of a million-customer feature build. The
    collector's previous state is restored on leaving; cycles made inside are collected then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
