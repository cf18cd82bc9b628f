"""Shards at work: each shard of a sharded index answers in a `ShardServer`, and a search goes
to all of them at once (scatter-gather), on a Ray cluster or in this process.

A call (a search, an article, suggestions, related articles) runs in every shard as it runs in
one index (searchsvc.searching.index.SearchIndex), with the shard's statistics of the whole
collection (searchsvc.collection.DictionaryCollection). Where it needs a statistic that
depends on the query (how many matched articles hold two words, the best scores, the stories
a page lists), each shard hands its part to the caller and waits; the caller (`gather`)
combines the parts of all shards and hands the whole back to each, and the shards go on.
Every shard asks for the same statistics in the same order; a shard that asks otherwise is a
fault, reported as such, never a wrong answer.

Ray runs the servers as actors, one per shard, each in its own worker process; Ray restarts
one whose process dies (the calls it was answering fail, and the caller says the shard is
unavailable). Without a cluster, the servers run in the caller's process.
"""

from __future__ import annotations

import itertools
import os
import queue
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .collection import COMBINERS, CollectionDictionary, DictionaryCollection
from .errors import SearchsvcError, ShardUnavailable

EXCHANGE_TIMEOUT_S = 60
"""How long a shard waits for the whole of a statistic, and the caller for a shard's part."""
CALL_THREADS = 16  # calls a shard server answers at once
RAY_NAMESPACE = "searchsvc"
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's switch that, set to 0, keeps a cluster on 127.0.0.1 (and on one machine)."""
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20  # what moves here is small: queries and their parts


class _Aborted(Exception):
    """Raised in a shard's call when the caller gave it up."""


class ShardServer:
    """One shard of a sharded index, answering calls of its SearchIndex in threads; each call
    exchanges statistics with the caller through two queues."""

    def __init__(self, shard_dir: str, dictionary_dir: str, number: int):
        from .searching.index import SearchIndex

        self.number = number
        self.dictionary = CollectionDictionary(dictionary_dir)
        self._local = threading.local()
        self._calls: dict[str, tuple[queue.Queue, queue.Queue]] = {}
        self._threads = ThreadPoolExecutor(CALL_THREADS, thread_name_prefix=f"shard-{number}")
        self.index = SearchIndex(shard_dir, cache_entries=0, collection=lambda generation: (
            DictionaryCollection(self.dictionary, number, self._exchange)))

    def start(self, call_id: str, method: str, args: tuple):
        """Start `method` of the shard's SearchIndex with `args`; the first message of the
        call: ("ask", how, part), ("done", value) or ("error", exception)."""
        inbox, outbox = queue.Queue(), queue.Queue()
        self._calls[call_id] = (inbox, outbox)
        self._threads.submit(self._run, call_id, method, args)
        return self._next(call_id)

    def answer(self, call_id: str, whole):
        """Hand the whole of the statistic asked for to the call; its next message."""
        found = self._calls.get(call_id)
        if found is None:
            return "error", ShardUnavailable(f"shard {self.number} lost the search it was "
                                             "answering (restarted?); try again")
        found[0].put(("whole", whole))
        return self._next(call_id)

    def abort(self, call_id: str) -> None:
        found = self._calls.pop(call_id, None)
        if found is not None:
            found[0].put(("abort", None))

    def health(self) -> dict:
        """The shard's generation and article count, and where it is served."""
        generation, articles = self.index.served()
        return {"shard": self.number, "articles": articles, "generation": generation,
                "node": socket.gethostname(), "pid": os.getpid()}

    def warm(self) -> None:
        self.index.warm()

    def _next(self, call_id: str):
        try:
            message = self._calls[call_id][1].get(timeout=EXCHANGE_TIMEOUT_S)
        except queue.Empty:
            self.abort(call_id)
            return "error", ShardUnavailable(f"shard {self.number} did not answer within "
                                             f"{EXCHANGE_TIMEOUT_S} s")
        if message[0] != "ask":
            self._calls.pop(call_id, None)
        return message

    def _run(self, call_id: str, method: str, args: tuple) -> None:
        inbox, outbox = self._calls[call_id]
        self._local.queues = inbox, outbox
        try:
            outbox.put(("done", getattr(self.index, method)(*args)))
        except _Aborted:  # the caller gave the call up, or never answered
            self._calls.pop(call_id, None)
        except SearchsvcError as exc:
            outbox.put(("error", exc))
        except Exception as exc:  # a fault: reported by the caller with its shard
            outbox.put(("error", RuntimeError(f"shard {self.number}: "
                                              f"{type(exc).__name__}: {exc}")))
        finally:
            self._local.queues = None

    def _exchange(self, how: str, part):
        inbox, outbox = self._local.queues
        outbox.put(("ask", how, part))
        try:
            kind, whole = inbox.get(timeout=EXCHANGE_TIMEOUT_S)
        except queue.Empty:
            raise _Aborted() from None
        if kind == "abort":
            raise _Aborted()
        return whole


class LocalShards:
    """The shard servers of a sharded index in this process."""

    def __init__(self, servers: list[ShardServer]):
        self.servers = servers

    def start(self, call_id: str, method: str, args: tuple) -> list:
        return [server.start(call_id, method, args) for server in self.servers]

    def answer(self, call_id: str, wholes: list) -> list:
        return [server.answer(call_id, whole) for server, whole in zip(self.servers, wholes)]

    def abort(self, call_id: str) -> None:
        for server in self.servers:
            server.abort(call_id)

    def health(self) -> list[dict]:
        return [server.health() for server in self.servers]

    def close(self) -> None:
        pass


class RayShards:
    """The shard servers of a sharded index as Ray actors, one per shard, restarted by Ray
    when their process dies. They belong to this process: they end with it."""

    def __init__(self, folders: list[tuple[str, str]]):
        import ray

        self.ray = ray
        actor = ray.remote(ShardServer).options(max_restarts=-1, max_concurrency=CALL_THREADS,
                                                num_cpus=0)
        self.actors = [actor.remote(shard, dictionary, number)
                       for number, (shard, dictionary) in enumerate(folders)]

    def _all(self, calls: list) -> list:
        ray = self.ray
        try:
            return ray.get(calls, timeout=EXCHANGE_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            raise ShardUnavailable(f"a shard did not answer within {EXCHANGE_TIMEOUT_S} s; "
                                   "try again") from None
        except ray.exceptions.RayError as exc:
            if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(
                    exc.cause, SearchsvcError):
                raise exc.cause from None
            raise ShardUnavailable(f"a shard's worker is unavailable "
                                   f"({type(exc).__name__}); try again") from None

    def start(self, call_id: str, method: str, args: tuple) -> list:
        return self._all([actor.start.remote(call_id, method, args) for actor in self.actors])

    def answer(self, call_id: str, wholes: list) -> list:
        return self._all([actor.answer.remote(call_id, whole)
                          for actor, whole in zip(self.actors, wholes)])

    def abort(self, call_id: str) -> None:
        for actor in self.actors:
            actor.abort.remote(call_id)

    def health(self) -> list[dict]:
        return self._all([actor.health.remote() for actor in self.actors])

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)


_calls = itertools.count()


def gather(shards, method: str, *args):
    """`method(*args)` of SearchIndex run in every shard, with the statistics they ask for
    combined across them; the value every shard gave (the same in each)."""
    call_id = f"{os.getpid()}-{threading.get_ident()}-{next(_calls)}"
    messages = shards.start(call_id, method, args)
    try:
        while True:
            for message in messages:
                if message[0] == "error":
                    raise message[1]
            kinds = {message[0] for message in messages}
            if kinds == {"done"}:
                return messages[0][1]
            asked = {_question(message) for message in messages}
            if kinds != {"ask"} or len(asked) != 1:
                raise RuntimeError(f"the shards asked for different statistics ({asked}): "
                                   "their indexes or their searchsvc differ")
            how = messages[0][1]
            whole = COMBINERS[how]([message[2] for message in messages])
            messages = shards.answer(call_id, [whole] * len(messages))
    except BaseException:
        shards.abort(call_id)
        raise


def _question(message) -> tuple:
    if message[0] != "ask":
        return (message[0],)
    if message[1] == "each":
        return message[1], tuple(message[2])
    return (message[1],)


def connect(address: str | None, workers: int | None = None) -> None:
    """Join the Ray cluster at `address` (host:port of its head), or start one in this
    process with `workers` worker processes (default: one per core), on the loopback
    address only. A cluster that asks for Ray's token (`ray start` makes one in
    ~/.ray/auth_token) gets it from there or from RAY_AUTH_TOKEN, as any Ray client does."""
    if address is None or address.startswith(("127.", "localhost:")):
        # Ray gives a node the machine's network address unless told not to
        os.environ.setdefault(LOOPBACK_ONLY, "0")
    if os.environ.get("RAY_AUTH_TOKEN") or (Path.home() / ".ray" / "auth_token").is_file():
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    try:
        import ray
    except ImportError:
        raise ShardUnavailable("a sharded index is built and searched on Ray, which is not "
                               "installed: pip install 'searchsvc[shards]'") from None

    if ray.is_initialized():
        return
    options = dict(namespace=RAY_NAMESPACE, log_to_driver=False, configure_logging=False)
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(address="local", num_cpus=workers or os.cpu_count() or 1,
                     include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, **options)
    except (ConnectionError, RuntimeError) as exc:
        raise ShardUnavailable(f"cannot join the Ray cluster at {address} ({exc}); start "
                               "it with `ray start --head`") from None


def folders_of(generation: Path, description) -> list[tuple[str, str]]:
    """(shard folder, collection dictionary folder) of each shard of a sharded generation."""
    return [(str(generation / shard.folder), str(generation / description.dictionary))
            for shard in description.shards]
