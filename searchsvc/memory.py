"""How a serving process's C allocator keeps the memory searches free.

A search over a large archive allocates arrays of one number per matched article (4 MB for
500,000 matches) and frees them when it answers. glibc's malloc serves an allocation that
large with a mapping of its own and unmaps it on free, so every search paid a page fault for
each 4 KiB page of each array, and each worker's first searches paid them twice (glibc raises
its threshold only after such frees). At a million articles that was a third of a search:
"june flynn company" 145 -> 90 ms, "british expects" 105 -> 65 ms, repeated, in one process.
Keeping those arrays on the heap (up to MMAP_THRESHOLD each), and the heap's free top (up to
TRIM_THRESHOLD), lets the next search reuse pages already mapped, at the cost of a worker
keeping the memory of its largest searches (tens of megabytes at a million articles).

Two more things made a worker's first searches slow. glibc gives each new thread an arena
(heap) of its own, up to eight per core, and gunicorn answers on a pool of threads: each
thread's first large searches faulted in pages of its own heap, and the memory kept was kept
once per thread. Workers now use one arena (`keep_freed_memory`), and fault in the heap a
search over the archive needs before taking requests (`warm_heap`: about what 35 searches
grow it to at a million articles, 137 MiB). On a pool of 4 threads over a million articles,
the 5 first searches after the start took 74, 18, 102, 62 and 24 ms, then 43, 13, 63, 56
and 19.
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20
HEAP_PER_DOCUMENT = 128
"""Bytes of heap a worker faults in before serving, per document of its index (up to
TRIM_THRESHOLD, as more would be given back)."""
_CHUNK = 8 << 20
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def keep_freed_memory() -> bool:
    """Set this process's allocator as above (before it starts threads); False where it is
    not glibc's (musl, macOS, Windows), which keep their own ways."""
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and \
        bool(libc.mallopt(_M_ARENA_MAX, 1))


def warm_heap(size: int) -> int:
    """Fault in `size` bytes of heap (at most TRIM_THRESHOLD), then free them, so that
    searches find mapped pages; the bytes faulted in (0 without glibc)."""
    libc = _glibc()
    if libc is None:
        return 0
    chunks = []
    try:
        for _ in range(min(size, TRIM_THRESHOLD) // _CHUNK):
            chunk = libc.malloc(_CHUNK)
            if not chunk:
                break
            ctypes.memset(chunk, 0, _CHUNK)
            chunks.append(chunk)
    finally:
        for chunk in chunks:
            libc.free(chunk)
    return len(chunks) * _CHUNK


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt, libc.malloc, libc.free  # noqa: B018 (present in glibc only)
    except (OSError, AttributeError):
        return None
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc
