"""Serving processes keep the memory searches free on the heap (searchsvc.memory), so a
search does not pay a page fault for every page of its large arrays."""

import subprocess
import sys

import pytest

from searchsvc.memory import keep_freed_memory

PROBE = """
import resource, sys
import numpy as np
from searchsvc.memory import keep_freed_memory
if sys.argv[1] == "kept":
    assert keep_freed_memory()
def search():  # its arrays: six of 8 MiB allocated, filled, held together and freed
    arrays = [np.ones(1 << 20) for _ in range(6)]
    return sum(array.sum() for array in arrays)
for _ in range(3):
    search()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
search()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_a_search_reuses_the_pages_the_last_one_freed():
    if not keep_freed_memory():
        pytest.skip("this C library has no mallopt (not glibc)")
    pages = 6 * (8 << 20) // 4096
    # glibc returns the freed arrays to the kernel and maps them again for the next search
    assert _faults("default") > pages // 8
    assert _faults("kept") < pages // 50
