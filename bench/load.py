"""HTTP load for bench/speed.py, run as its own process so the client's work is not the
server's: N threads, each with one keep-alive connection, send the query list's searches to
/api/search for a fixed time and time every answer.

Usage: python bench/load.py --url http://127.0.0.1:8000 --concurrency 4 --seconds 10 [--warm]
Prints one JSON object: requests, errors, seconds, requests_per_s, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import QUERIES_FILE, load_queries, percentile  # noqa: E402


class Connection:
    """One keep-alive HTTP/1.1 connection doing GETs, with as little client work as possible
    (http.client parses every header through the email package), so that the CPU this
    process takes from the server's two cores is small."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.sock = None
        self.buffer = b""

    def get(self, path: str) -> int:
        """The status of GET `path`, its whole body read; 0 when the connection failed."""
        try:
            if self.sock is None:
                self.sock = socket.create_connection((self.host, self.port), timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buffer = b""
            self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            while b"\r\n\r\n" not in self.buffer:
                self._receive()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = _CONTENT_LENGTH.search(head)
            if length is None:
                raise OSError("a response without Content-Length")
            size = int(length.group(1))
            while len(rest) < size:
                self.buffer = rest
                self._receive()
                rest = self.buffer
            self.buffer = rest[size:]
            if _CLOSE.search(head):
                self.close()
            return int(head[9:12])
        except (OSError, ValueError):
            self.close()
            return 0

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.I)


def run(url: str, paths: list[str], concurrency: int, seconds: float, warm: bool = False
        ) -> dict:
    target = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)

    def client(number: int) -> None:
        connection = Connection(target.hostname, target.port)
        mine = latencies[number]
        position = number * 7 % len(paths)
        for path in (paths[position:] + paths[:position]) if warm else ():
            connection.get(path)
        start.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            path = paths[position % len(paths)]
            position += 1
            began = time.perf_counter()
            if connection.get(path) == 200:
                mine.append((time.perf_counter() - began) * 1000)
            else:
                errors[number] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [value for values in latencies for value in values]
    return {"concurrency": concurrency, "requests": len(every), "errors": sum(errors),
            "seconds": round(elapsed, 3), "requests_per_s": round(len(every) / elapsed, 1),
            "p50_ms": round(percentile(every, 0.50), 3),
            "p99_ms": round(percentile(every, 0.99), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE)
    parser.add_argument("--warm", action="store_true",
                        help="each client first sends every query once, untimed")
    args = parser.parse_args(argv)
    paths = [f"/api/search?{q.query_string}" for q in load_queries(args.queries)]
    print(json.dumps(run(args.url, paths, args.concurrency, args.seconds, args.warm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
