"""HTTP load for bench/speed.py, run as its own process so the client's work is not the
server's: N keep-alive connections, driven by one event loop (no threads, and no
http.client, which parses every header through the email package: the less CPU this process
takes from the machine's two cores, the more the figures say about the server), each sending
the query list's searches to /api/search one after the other for a fixed time.

Usage: python bench/load.py --url http://127.0.0.1:8000 --concurrency 4 --seconds 10 [--warm]
Prints one JSON object: requests, errors, seconds, requests_per_s, p50_ms, p99_ms.
With --once (bench/scale.py), every query is sent once, in order, each on a new connection,
and the JSON holds each query's latency_ms (null for an error).
"""

from __future__ import annotations

import argparse
import json
import re
import selectors
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import QUERIES_FILE, load_queries, percentile  # noqa: E402

GIVE_UP_S = 600.0
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.I)


class Client:
    """One connection's requests in turn: GET, read the whole answer, time it, next."""

    def __init__(self, host: str, port: int, paths: list[str], start: int):
        self.host, self.port = host, port
        self.requests = [f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in paths]
        self.position = start
        self.sock = None
        self.buffer = b""
        self.sent_at = 0.0

    def send(self, selector) -> None:
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
            selector.register(self.sock, selectors.EVENT_READ, self)
        self.buffer = b""
        self.sent_at = time.perf_counter()
        self.sock.sendall(self.requests[self.position % len(self.requests)])
        self.position += 1

    def receive(self) -> int | None:
        """The status once the whole answer is in (0 for a failed connection), else None."""
        try:
            chunk = self.sock.recv(1 << 16)
        except BlockingIOError:
            return None
        except OSError:
            chunk = b""
        if not chunk:
            return 0
        self.buffer += chunk
        head, found, body = self.buffer.partition(b"\r\n\r\n")
        if not found:
            return None
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            return 0
        if len(body) < int(length.group(1)):
            return None
        return int(head[9:12]) if not _CLOSE.search(head) else 0

    def close(self, selector) -> None:
        if self.sock is not None:
            selector.unregister(self.sock)
            self.sock.close()
        self.sock = None


def run(url: str, paths: list[str], concurrency: int, seconds: float, warm: bool = False
        ) -> dict:
    """Load for `seconds`; with `warm`, each connection first sends every query once,
    untimed (so that every server worker has answered each of them)."""
    target = urlsplit(url)
    selector = selectors.DefaultSelector()
    clients = [Client(target.hostname, target.port, paths, n * 7 % len(paths))
               for n in range(concurrency)]
    if warm:
        _drive(selector, clients, rounds=len(paths))
    latencies: list[float] = []
    errors = [0]
    began = time.perf_counter()
    _drive(selector, clients, deadline=began + seconds, latencies=latencies, errors=errors)
    elapsed = time.perf_counter() - began
    for client in clients:
        client.close(selector)
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors[0],
            "seconds": round(elapsed, 3),
            "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(percentile(latencies, 0.50), 3),
            "p99_ms": round(percentile(latencies, 0.99), 3)}


def once(url: str, paths: list[str]) -> list[float | None]:
    """Each path once, in order, each on a new connection, as one user after another would
    send them (so either server worker may answer); the latencies in ms, None for a
    request that did not get a 200."""
    target = urlsplit(url)
    selector = selectors.DefaultSelector()
    latencies: list[float | None] = []
    for path in paths:
        client = Client(target.hostname, target.port, [path], 0)
        client.send(selector)
        give_up = time.perf_counter() + GIVE_UP_S
        status = None
        while status is None:
            if time.perf_counter() > give_up:
                raise SystemExit(f"no answer for {GIVE_UP_S:.0f} s: is the server stuck?")
            if selector.select(timeout=1.0):
                status = client.receive()
        elapsed = (time.perf_counter() - client.sent_at) * 1000
        client.close(selector)
        latencies.append(elapsed if status == 200 else None)
    return latencies


def _drive(selector, clients: list[Client], *, deadline: float | None = None,
           rounds: int | None = None, latencies: list | None = None,
           errors: list | None = None) -> None:
    """Keep every client's request in flight until the deadline, or until each client has
    sent `rounds` requests."""
    pending = {}
    for client in clients:
        if deadline is None or time.perf_counter() < deadline:
            client.send(selector)
            pending[client] = 1
    give_up = (deadline or time.perf_counter()) + GIVE_UP_S
    while pending:
        if time.perf_counter() > give_up:
            raise SystemExit(f"no answer for {GIVE_UP_S:.0f} s: is the server stuck?")
        for key, _ in selector.select(timeout=1.0):
            client = key.data
            status = client.receive()
            if status is None:
                continue
            now = time.perf_counter()
            if latencies is not None:
                if status == 200:
                    latencies.append((now - client.sent_at) * 1000)
                else:
                    errors[0] += 1
            if status != 200:
                client.close(selector)
            done = (now >= deadline) if deadline is not None else pending[client] >= rounds
            if done:
                del pending[client]
            else:
                client.send(selector)
                pending[client] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE)
    parser.add_argument("--warm", action="store_true",
                        help="each connection first sends every query once, untimed")
    parser.add_argument("--once", action="store_true",
                        help="send every query once, in order, each on a new connection, "
                             "and print each latency (--concurrency and --seconds unused)")
    args = parser.parse_args(argv)
    paths = [f"/api/search?{q.query_string}" for q in load_queries(args.queries)]
    if args.once:
        latencies = once(args.url, paths)
        print(json.dumps({"requests": len(latencies),
                          "errors": sum(ms is None for ms in latencies),
                          "latency_ms": [None if ms is None else round(ms, 3)
                                         for ms in latencies]}))
        return 0
    print(json.dumps(run(args.url, paths, args.concurrency, args.seconds, args.warm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
