"""Searching a sharded index (searchsvc.shards): the same calls as SearchIndex, each run in every
shard at once and answered as one index of the same articles answers (searchsvc.cluster).

A ShardedSearchIndex follows the index folder's current sharded generation: when a new one is
built, the next call opens its shards (Ray actors on the cluster, or servers in this process)
and closes the previous ones once no call is using them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from ..caching import RESULTS_CACHE_ENTRIES, ResultsCache
from ..cluster import LocalShards, RayShards, ShardServer, connect, folders_of, gather
from ..errors import QueryError
from ..indexing import IndexStore
from ..shards import current_sharded, open_description
from .index import MAX_RELATED, MAX_SUGGESTIONS, SearchIndex
from .results import Hit, Results, SearchRequest, StoredArticle, check_text


class _Opened:
    """One sharded generation's shards, with the calls using them."""

    def __init__(self, version, generation: Path, description, shards):
        self.version = version
        self.generation = generation
        self.description = description
        self.shards = shards
        self.users = 0
        self.retired = False


class ShardedSearchIndex:
    """Searches a sharded index folder on the Ray cluster at `cluster` (host:port of its
    head), or in this process when `cluster` is None; safe to share between threads."""

    def __init__(self, index_dir, cache_entries: int = RESULTS_CACHE_ENTRIES,
                 cluster: str | None = None):
        self.root = Path(index_dir)
        self.cluster = cluster
        self.cache = ResultsCache(cache_entries)
        self._lock = threading.Lock()
        self._opened: _Opened | None = None

    def _version(self):
        return IndexStore(self.root).version()

    def _open(self) -> _Opened:
        version = self._version()
        with self._lock:
            opened = self._opened
            if opened is None or opened.version != version:
                generation, description = open_description(self.root)
                folders = folders_of(generation, description)
                if self.cluster is not None:
                    connect(self.cluster)
                    shards = RayShards(folders)
                else:
                    shards = LocalShards([ShardServer(shard, dictionary, number)
                                          for number, (shard, dictionary)
                                          in enumerate(folders)])
                if opened is not None:
                    opened.retired = True
                    if not opened.users:
                        opened.shards.close()
                opened = self._opened = _Opened(version, generation, description, shards)
            opened.users += 1
            return opened

    def _release(self, opened: _Opened) -> None:
        with self._lock:
            opened.users -= 1
            if opened.retired and not opened.users:
                opened.shards.close()

    def _call(self, method: str, *args):
        opened = self._open()
        try:
            return opened, gather(opened.shards, method, *args)
        finally:
            self._release(opened)

    def warm(self) -> None:
        opened = self._open()
        try:
            opened.shards.health()
        finally:
            self._release(opened)

    def doc_count(self) -> int:
        return self.served()[1]

    def served(self) -> tuple[str, int]:
        """The sharded generation answered from (`shards-<n>`) and its article count."""
        opened = self._open()
        self._release(opened)
        return opened.generation.name, opened.description.articles

    def shards(self) -> tuple[str, int, list[dict]]:
        """The sharded generation, its article count and each shard's health (its
        generation, articles and where it is served); ShardUnavailable when one is down."""
        opened = self._open()
        try:
            return (opened.generation.name, opened.description.articles,
                    opened.shards.health())
        finally:
            self._release(opened)

    def search(self, request: SearchRequest) -> Results:
        request = request.validated()
        started = time.perf_counter()
        version = self._version()
        cached = self.cache.get(version, request)
        if cached is not None:
            return cached
        opened, results = self._call("search", request)
        results = replace(results, took_ms=(time.perf_counter() - started) * 1000)
        self.cache.put(opened.version, request, results)
        return results

    def article(self, article_id: str, q: str | None = None) -> StoredArticle:
        return self._call("article", article_id, q)[1]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        check_text(prefix, "text")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        return self._call("suggest", prefix, limit)[1]

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        if not 1 <= limit <= MAX_RELATED:
            raise QueryError(f"limit must be between 1 and {MAX_RELATED}")
        return self._call("related", article_id, limit)[1]


def open_search_index(index_dir, cache_entries: int = RESULTS_CACHE_ENTRIES,
                      cluster: str | None = None):
    """A SearchIndex for an index folder, or a ShardedSearchIndex when it holds a sharded
    index (searched on the Ray cluster at `cluster`, or in this process)."""
    if current_sharded(index_dir) is not None:
        return ShardedSearchIndex(index_dir, cache_entries, cluster)
    return SearchIndex(index_dir, cache_entries)
