"""Run the app under gunicorn: worker processes for both cores, threads for slow clients."""

import os
import socket
import struct
import time

from gunicorn.app.base import BaseApplication
from gunicorn.http import message
from gunicorn.workers.gthread import ThreadWorker

from .errors import SearchsvcError
from .memory import HEAP_PER_DOCUMENT, keep_freed_memory, warm_heap
from .web import create_app
from .web.params import MAX_REQUEST_LINE_BYTES

CLIENT_READ_TIMEOUT = 5  # seconds a client may go silent mid-request before it is dropped
YIELD_ACCEPT_S = 0.02  # how long a worker with a connection per thread leaves new ones alone


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, except that a worker holding a connection for each of its
    threads stops accepting for a moment after each new one, so that an idle worker takes
    the next. All workers wait on one listening socket and the first awake takes a burst of
    connections: 16 keep-alive clients split 15/1, 13/3, 2/14 between two workers, and
    the loaded one's core did all the work."""

    _pause_until = 0.0

    def accept(self, listener):
        super().accept(listener)
        if self.nr_conns >= self.cfg.threads:
            self._pause_until = time.monotonic() + YIELD_ACCEPT_S
            self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled):
        if enabled and time.monotonic() < self._pause_until:
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        if not self._accepting and self._pause_until:
            timeout = min(timeout, max(self._pause_until - time.monotonic(), 0.001))
        super().wait_for_and_dispatch_events(timeout)

    def handle_request(self, req, conn):
        client, conn.sock = conn.sock, HeadersWithBody(conn.sock)
        try:
            return super().handle_request(req, conn)
        finally:
            held, conn.sock = conn.sock, client
            held.flush()


class HeadersWithBody:
    """A client socket that holds the first bytes a response writes (its status line and
    headers: gunicorn sends them on their own) and sends them with the next write, so that
    an answer of one piece (every JSON answer and page) leaves in one send. A worker killed
    mid-answer then leaves the balancer either nothing, which it retries on another replica,
    or the whole answer; never headers without their body, which no balancer can retry."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._held: bytes | None = None  # None until the first write

    def sendall(self, data) -> None:
        if self._held is None:
            self._held = bytes(data)
            return
        if self._held:
            data, self._held = self._held + bytes(data), b""
        self._sock.sendall(data)

    def flush(self) -> None:
        """Send what is held (the headers of an answer without a body)."""
        if self._held:
            self._sock.sendall(self._held)
        self._held = b""

    def __getattr__(self, name):  # anything else (sendfile, shutdown, close) sends the held
        self.flush()              # bytes first, so nothing is reordered
        return getattr(self._sock, name)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, app_config: dict):
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.app_config)


def serve(index_dir: str, host: str, port: int, workers: int | None = None, threads: int = 4,
          access_log: bool = False, cluster: str | None = None) -> None:
    """Serve until interrupted. Each worker process builds its own app (and Searchers); one
    is built here first, so that a bad setting stops the command with its message
    (SettingError) instead of every worker failing to boot. `cluster`: the Ray cluster that
    searches a sharded index (None: each worker searches the shards itself)."""
    app_config = {"INDEX_DIR": index_dir, "CLUSTER": cluster}
    create_app(app_config)
    _allow_request_lines(MAX_REQUEST_LINE_BYTES)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or max(2, os.cpu_count() or 1),
        "worker_class": f"{__name__}.BalancedThreadWorker",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": MAX_REQUEST_LINE_BYTES,
        "limit_request_fields": 100,
        "when_ready": _drop_stalled_clients,
        "post_worker_init": _warm,
        "control_socket_disable": True,  # gunicorn's control socket could stop the server
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
    }
    _Gunicorn(options, app_config).run()


def _warm(worker) -> None:
    """Open the index and run a search in each worker before it takes requests, so that the
    first request after a start costs what any other does; searches' arrays stay on one
    heap, shared by the worker's threads and faulted in here (searchsvc.memory)."""
    keep_freed_memory()
    index = worker.wsgi.extensions["searchsvc"]
    try:
        index.warm()
        # for the articles this process searches (on a cluster, Ray's workers search)
        if getattr(index, "cluster", None) is None:
            warm_heap(index.doc_count() * HEAP_PER_DOCUMENT)
    except SearchsvcError as exc:  # no usable index yet: /healthz says so
        worker.log.warning("searchsvc: %s", exc)


def _allow_request_lines(limit: int) -> None:
    """gunicorn takes request lines of up to 8,190 bytes, or of any length (0): the first is
    too short for a 1,000-character query in Hindi or Chinese (9 bytes a character once
    percent-escaped), the second lets one client make a worker buffer an endless line,
    copied again on every read. Its ceiling is one module constant, read as each request is
    parsed (in the workers, forked after this); raise it to `limit`, which
    limit_request_line then applies. tests/test_openapi.py checks that a line of `limit`
    bytes is answered and a longer one refused with a 414."""
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, limit)


def _drop_stalled_clients(arbiter) -> None:
    """gthread hands a connection to a thread once its first bytes arrive, and the thread then
    waits for the rest without a limit: a few clients that stop mid-request would hold every
    thread. A receive timeout on the listening sockets, inherited by each accepted one, makes
    such a read fail after CLIENT_READ_TIMEOUT seconds and the connection close."""
    timeout = struct.pack("ll", CLIENT_READ_TIMEOUT, 0)
    for listener in arbiter.LISTENERS:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
