"""Answers to repeated searches: a news site's traffic is mostly the same few queries, and one
search costs Whoosh tens of milliseconds, a lookup here a few microseconds."""

import threading
from collections import OrderedDict

RESULTS_CACHE_ENTRIES = 1024


class ResultsCache:
    """The last `entries` results, by (index version, request); thread-safe. Entries of an
    older index version are dropped as soon as one of a newer version is stored, so a new
    generation is searched afresh at once."""

    def __init__(self, entries: int = RESULTS_CACHE_ENTRIES):
        self.entries = entries
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()
        self._version = None

    def get(self, version, request):
        if not self.entries:
            return None
        with self._lock:
            found = self._items.get((version, request))
            if found is not None:
                self._items.move_to_end((version, request))
            return found

    def put(self, version, request, results) -> None:
        if not self.entries:
            return
        with self._lock:
            if version != self._version:
                self._items.clear()
                self._version = version
            self._items[version, request] = results
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
