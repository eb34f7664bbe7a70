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
"""

from __future__ import annotations

import ctypes
import platform
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


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Inside the block, freed heap memory stays in the process for the next allocation."""
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
