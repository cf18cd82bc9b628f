"""The production server's own behaviour: keep-alive clients spread over the worker
processes, so that both cores answer them."""

import socket
import threading
from pathlib import Path

from conftest import LiveServer

CLIENTS = 16


def test_a_burst_of_keep_alive_clients_is_shared_between_the_workers(seeds_dir, index_dir):
    """16 clients connecting at once, as a load test or a busy page does: the first worker
    awake used to take nearly all of them (15/1, 13/3, 2/14 measured), and one core did the
    work. Each worker now leaves new connections to the others once it holds one per
    thread."""
    live = LiveServer(index_dir, seeds_dir, workers=2)
    clients = []
    try:
        start = threading.Barrier(CLIENTS)

        def connect():
            start.wait()
            sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
            sock.sendall(b"GET /api/search?q=space HTTP/1.1\r\nHost: test\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            clients.append(sock)  # kept open: a keep-alive client

        threads = [threading.Thread(target=connect) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(clients) == CLIENTS
        held = _connections_by_worker(live.process.pid, live.port)
        print(f"[server] {CLIENTS} keep-alive clients per worker: {sorted(held.values())}")
        assert len(held) == 2 and min(held.values()) >= CLIENTS // 3, held
    finally:
        for sock in clients:
            sock.close()
        live.stop()


def _connections_by_worker(master: int, port: int) -> dict[int, int]:
    """Established connections to `port` held by each child process of `master` (/proc)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])  # socket inode
    held = {}
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        inodes = set()
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                target = fd.readlink().as_posix()
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        held[int(child)] = len(inodes & established)
    return held
