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

Threads: glibc gives each thread that allocates its own arena, whose heaps hold at most 64 MB,
so a worker thread's bigger array is always a fresh ``mmap``, unmapped on free and faulted in
(zeroed) again the next time. :func:`share_one_malloc_arena`, called by the ``crmml`` command
at start-up, puts every thread on the main heap, which the block above keeps.

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

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -2, -3, -4, -8
_GLIBC_MMAP_MAX = 65536  # glibc's default count of mmapped chunks
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


_heap_kept_depth = 0
"""How many :func:`_heap_kept` blocks are open: only the outermost sets and restores glibc."""


@contextmanager
def _heap_kept() -> Iterator[None]:
    global _heap_kept_depth
    libc = _glibc()
    outermost = libc is not None and not _heap_kept_depth  # an outer block keeps it till its end
    if outermost:
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * _MIB)  # glibc's maximum: arrays to 32 MB reuse heap
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)  # trim only when 1 GB lies free at the top
        libc.mallopt(_M_TOP_PAD, 512 * _MIB)  # grow the heap in big steps
        libc.mallopt(_M_MMAP_MAX, 0)  # bigger arrays too: none is unmapped when freed
    _heap_kept_depth += 1
    try:
        yield
    finally:
        _heap_kept_depth -= 1
        if outermost:
            libc.mallopt(_M_MMAP_MAX, _GLIBC_MMAP_MAX)
            libc.mallopt(_M_TOP_PAD, 128 * 1024)  # glibc's defaults
            libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
            libc.malloc_trim(0)


def share_one_malloc_arena() -> None:
    """Let every thread started from now on allocate from glibc's main arena (whole process).

    A thread's own arena grows in heaps of at most 64 MB, so each array above that which a
    worker thread allocates is a fresh ``mmap``, returned to the kernel when freed: the
    feature build's worker threads build event-sized arrays (85 MB at a million customers,
    17 MB at 200k), so only big exports paid for faulting them in again and again. With one
    arena they come from the main heap, kept by :func:`reuse_freed_memory` (1M customers:
    ~1 GB fewer page faults, peak RSS -0.1 GB, build ~5% faster; 200k: no change). Small
    allocations still come from each thread's own cache, without the arena's lock.

    glibc fixes the number of arenas when a thread first needs one, and threads that already
    have an arena keep it, so this must run before any other thread allocates: the ``crmml``
    command calls it at start-up. It cannot be undone. A no-op where the C library is not
    glibc.
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)


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
