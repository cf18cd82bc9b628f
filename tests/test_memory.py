"""Serving processes keep the memory searches free on the heap (searchsvc.memory), so a
search does not pay a page fault for every page of its large arrays, and read their index
into the page cache before searches map it."""

import shutil
import subprocess
import sys

import pytest

import searchsvc.searching.index as searching
from conftest import REPO
from searchsvc.indexing import update_index
from searchsvc.memory import PRELOAD_SHARE, keep_freed_memory, preload
from searchsvc.searching import SearchIndex, SearchRequest

PROBE = """
import resource, sys, threading
import numpy as np
from searchsvc.memory import keep_freed_memory, warm_heap
if sys.argv[1] == "kept":
    assert keep_freed_memory()
def search():  # its arrays: six of 8 MiB allocated, filled, held together and freed
    arrays = [np.ones(1 << 20) for _ in range(6)]
    return sum(array.sum() for array in arrays)
if sys.argv[2] == "warmed":  # as a worker starts: the heap faulted in, then a new thread
    assert warm_heap(64 << 20) == 64 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    thread = threading.Thread(target=search)  # answers its first request
    thread.start()
    thread.join()
else:  # the same thread's later search
    for _ in range(3):
        search()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    search()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str, start: str = "searched") -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode, start], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_a_search_reuses_the_pages_the_last_one_freed():
    if not keep_freed_memory():
        pytest.skip("this C library has no mallopt (not glibc)")
    pages = 6 * (8 << 20) // 4096
    # glibc returns the freed arrays to the kernel and maps them again for the next search
    assert _faults("default") > pages // 8
    assert _faults("kept") < pages // 50


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_a_new_threads_first_search_finds_the_heap_the_worker_faulted_in():
    """gunicorn answers on a pool of threads; each used to get a heap of its own from glibc
    and fault in its pages on its first searches."""
    if not keep_freed_memory():
        pytest.skip("this C library has no mallopt (not glibc)")
    pages = 6 * (8 << 20) // 4096
    assert _faults("default", "warmed") > pages // 8
    assert _faults("kept", "warmed") < pages // 50


def test_a_served_index_is_read_into_the_page_cache_as_it_opens(tmp_path, monkeypatch):
    """A server (SearchIndex.warm) reads every file of the generation it opens, so that first
    searches find their postings in memory; a one-off search does not, nor a server whose
    index would take more than PRELOAD_SHARE of the memory available, nor past its time."""
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    update_index(tmp_path / "index", [tmp_path / "seeds"], progress=False)
    generation = next((tmp_path / "index").glob("gen-*"))
    size = sum(path.stat().st_size for path in generation.iterdir())
    assert preload(generation, available=int(size / PRELOAD_SHARE) + 1) == size
    assert preload(generation, available=int(size / PRELOAD_SHARE) - 1) == 0
    assert preload(generation, available=size * 4, seconds=0) == 0  # out of time

    read = []
    monkeypatch.setattr(searching, "preload", lambda folder: read.append(
        preload(folder, available=size * 4)))
    SearchIndex(tmp_path / "index").search(SearchRequest("moon"))
    assert read == []
    served = SearchIndex(tmp_path / "index")
    served.warm()
    assert read == [size]
    assert served.search(SearchRequest("moon")).total >= 1
