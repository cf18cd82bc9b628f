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
"""

from __future__ import annotations

import ctypes
import sys

MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Set this process's allocator as above; False where it is not glibc's (musl, macOS,
    Windows), which keep their own ways."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
