"""How a serving process uses memory: its C allocator keeps what searches free, and the
index's files are read into the page cache before searches map them (`preload`).

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
import time
from pathlib import Path

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


PRELOAD_SHARE = 0.5
"""A server reads a generation's files into the page cache when they take at most this
share of the memory available (`preload`)."""
PRELOAD_SECONDS = 10.0
"""For at most this long: a gunicorn worker silent for its 30 s timeout while it starts is
restarted. Reading 1.9 GiB from this machine's disk took 4.6 s; the files left unread are
read by the searches that need them."""
_PRELOAD_CHUNK = 1 << 20


def preload(folder: str | Path, available: int | None = None,
            seconds: float | None = None) -> int:
    """Read the files of the generation `folder` once, smallest first, so that the kernel's
    page cache holds them before searches map them (as Elasticsearch's index.store.preload
    does), when they take at most PRELOAD_SHARE of `available` bytes of memory (by default
    the kernel's MemAvailable; nothing is read where that is unknown), for at most `seconds`
    (PRELOAD_SECONDS by default). Returns the bytes read.

    A word's first search reads its postings, and a hit's article, from the mapped files:
    where those pages are not cached (after a restart, or long after the indexer wrote them,
    or where the kernel pages out idle memory, as this machine's DAMON does after a minute),
    that search waits on the disk. At a million articles, 30 searches seen for the first time
    after the page cache was dropped took p50 48 ms, 21 ms once cached; reading the
    generation's 1.9 GiB took 4.6 s from the disk, 0.35 s from the cache."""
    files = sorted((path.stat().st_size, path) for path in Path(folder).iterdir()
                   if path.is_file())
    total = sum(size for size, _ in files)
    if available is None:
        available = _available_memory()
    if available is None or total > PRELOAD_SHARE * available:
        return 0
    deadline = time.monotonic() + (PRELOAD_SECONDS if seconds is None else seconds)
    buffer = bytearray(_PRELOAD_CHUNK)
    read = 0
    for _, path in files:
        if time.monotonic() >= deadline:
            break
        with open(path, "rb", buffering=0) as file:
            while time.monotonic() < deadline and (count := file.readinto(buffer)):
                read += count
    return read


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


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
