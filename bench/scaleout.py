"""Scale-out: requests/s through HAProxy with 1, 2 and 3 replicas of one index, and what a new
generation costs to ship to a replica.

Reuters-21578 is indexed and published once (`searchsvc publish`); three replica folders
follow it (`searchsvc follow`), each served by `searchsvc serve-replica` with one worker
process, the results cache off (every request is a search). For 1, 2 and 3 replicas an HAProxy
from `searchsvc haproxy-config` balances over them, and bench/load.py (a separate process)
sends the query list to /api/search at a fixed concurrency; the levels are run in turn, in
rounds, and the medians reported, beside one replica without HAProxy. CPU seconds of the
replicas, of HAProxy and of the load process show where the machine's cores went: on one
machine the cores are the ceiling (one replica per core at best), so the ratio between
levels, not the absolute rate, is the figure; on separate machines each replica brings its
own cores. Then one article is added and published, and a replica follows: the bytes fetched
against the generation's size.

Usage: python bench/scaleout.py [--seconds 10] [--rounds 3] [--concurrency 16] [--corpora DIR]
(needs haproxy and rsync: apt-get install haproxy rsync)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from searchsvc.balancer import Address, haproxy_config  # noqa: E402
from searchsvc.indexing import update_index  # noqa: E402
from searchsvc.replication import follow_once, publish  # noqa: E402
from workload import DEFAULT_CORPORA, REUTERS_EXCLUDES  # noqa: E402

REPLICAS = (1, 2, 3)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="folder holding reuters21578/ (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per level and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per replica")
    args = parser.parse_args(argv)
    reuters = args.corpora / "reuters21578"
    if not reuters.is_dir():
        print(f"error: {reuters} not found (see --corpora)", file=sys.stderr)
        return 2
    missing = [tool for tool in ("haproxy", "rsync") if shutil.which(tool) is None]
    if missing:
        print(f"error: {' and '.join(missing)} not installed (apt-get install "
              f"{' '.join(missing)})", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="searchsvc-scaleout-"))
    try:
        with contextlib.ExitStack() as stack:
            run(args, reuters, work, stack)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args, reuters: Path, work: Path, stack: contextlib.ExitStack) -> None:
    _log("indexing Reuters-21578 and publishing it")
    report = update_index(work / "index", [reuters], excludes=REUTERS_EXCLUDES, progress=False)
    publish(work / "index", work / "published")
    folders = [work / f"replica-{n}" for n in REPLICAS]
    for folder in folders:
        follow_once(str(work / "published"), folder)
    replicas = [stack.enter_context(_replica(folder, args.workers, work)) for folder in folders]
    balancers = {n: stack.enter_context(_haproxy(replicas[:n], work / f"haproxy-{n}.cfg"))
                 for n in REPLICAS}
    levels = {"1, direct": (replicas[0][0], None),
              **{f"{n}, HAProxy": (url, process) for n, (url, process) in balancers.items()}}
    _log("warming every replica's workers with every query")
    for url, _ in replicas:
        _load(url, 2 * args.workers, 0, warm=True)

    runs: dict[str, list[dict]] = {name: [] for name in levels}
    for round_number in range(1, args.rounds + 1):
        for name, (url, haproxy) in levels.items():
            replica_pids = [process.pid for _, process in replicas]
            before = _cpu_seconds(replica_pids), _cpu_seconds([haproxy.pid] if haproxy else [])
            load = _load(url, args.concurrency, args.seconds)
            load["replicas_cpu_s"] = _cpu_seconds(replica_pids) - before[0]
            load["haproxy_cpu_s"] = (_cpu_seconds([haproxy.pid]) - before[1]) if haproxy else 0
            runs[name].append(load)
            _log(f"   round {round_number}, {name}: {load['requests_per_s']:.0f} req/s, "
                 f"p50 {load['p50_ms']:.1f} ms" + (f", {load['errors']} errors"
                                                    if load["errors"] else ""))
    shipping = _ship_one_article(work, folders[0])
    print_report(args, report.articles_total, runs, shipping)


def print_report(args, articles: int, runs: dict[str, list[dict]], shipping: dict) -> None:
    print(f"\nsearchsvc scale-out: Reuters-21578 ({articles:,} articles), /api/search with "
          f"the query list from bench/load.py at concurrency {args.concurrency}, results "
          f"cache off;\nreplicas with {args.workers} worker process(es) each; medians of "
          f"{args.rounds} rounds of {args.seconds:.0f} s; {os.cpu_count()} cores, load "
          f"average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'replicas':<14}{'req/s':>8}{'vs 1':>7}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}"
          f"{'CPU s: replicas':>17}{'haproxy':>9}{'load':>6}{'req/replica CPU s':>19}")
    base = statistics.median(r["requests_per_s"] for r in runs["1, HAProxy"])
    for name, found in runs.items():
        rate = statistics.median(r["requests_per_s"] for r in found)
        print(f"{name:<14}{rate:>8.0f}{rate / base:>6.2f}×"
              f"{statistics.median(r['p50_ms'] for r in found):>8.1f}"
              f"{statistics.median(r['p99_ms'] for r in found):>8.1f}"
              f"{sum(r['errors'] for r in found):>8}"
              f"{statistics.median(r['replicas_cpu_s'] for r in found):>17.1f}"
              f"{statistics.median(r['haproxy_cpu_s'] for r in found):>9.1f}"
              f"{statistics.median(r['load_cpu_s'] for r in found):>6.1f}"
              f"{statistics.median(r['requests'] / r['replicas_cpu_s'] for r in found):>19.0f}")
    print(f"(CPU s: per {args.seconds:.0f} s run. On {os.cpu_count()} cores the machine is "
          "the ceiling: replicas, HAProxy and the load client share its cores, so\n replicas "
          "beyond one per core add no capacity of their own; where other work competes for "
          "the cores, more replica\n processes win a larger share of them, which the CPU "
          "seconds show. Requests per replica CPU second is the cost\n of a request, the "
          "same at every level when balancing adds none; on separate machines each replica "
          "brings its own\n cores, and the rate grows with the replicas until the balancer "
          "or the network is the limit.)")
    print(f"\nShipping a new generation (one article added): {shipping['files']} files, "
          f"{shipping['bytes'] / 1e6:.1f} MB; fetched {shipping['fetched_files']} files, "
          f"{shipping['fetched_bytes'] / 1e6:.2f} MB "
          f"({shipping['fetched_bytes'] / shipping['bytes']:.2%}), the rest hard-linked; "
          f"follow took {shipping['seconds']:.2f} s")


def _ship_one_article(work: Path, replica: Path) -> dict:
    fresh = work / "fresh"
    fresh.mkdir()
    (fresh / "story.txt").write_text("date 1987-06-01\ntitle Harbour news\nsource Bench\n\n"
                                     "An ordinary story about the harbour.\n\nBench\n")
    update_index(work / "index", [fresh], progress=False)
    publish(work / "index", work / "published")
    sync = follow_once(str(work / "published"), replica)
    return {"files": sync.files, "bytes": sync.bytes, "fetched_files": sync.fetched_files,
            "fetched_bytes": sync.fetched_bytes, "seconds": sync.seconds}


@contextlib.contextmanager
def _replica(folder: Path, workers: int, work: Path):
    """`searchsvc serve-replica` on `folder` at a free port, cache off: (URL, process)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(work / f"{folder.name}.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "searchsvc", "serve-replica", "--index", str(folder),
             "--port", str(port), "--workers", str(workers)], stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "SEARCHSVC_RESULTS_CACHE": "0"})
    try:
        _wait_for(url + "/healthz", process)
        yield url, process
    finally:
        _stop(process)


@contextlib.contextmanager
def _haproxy(replicas: list, config: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config.write_text(haproxy_config(Address("127.0.0.1", port),
                                     [Address("127.0.0.1", int(u.rsplit(":", 1)[1]))
                                      for u, _ in replicas]))
    process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(url + "/healthz", process)  # servers start up; the replicas already are
        yield url, process
    finally:
        _stop(process)


def _load(url: str, concurrency: int, seconds: float, warm: bool = False) -> dict:
    before = os.times()
    out = subprocess.run([sys.executable, str(BENCH / "load.py"), "--url", url,
                          "--concurrency", str(concurrency), "--seconds", str(seconds),
                          *(["--warm"] if warm else [])], capture_output=True, text=True)
    after = os.times()
    if out.returncode:
        raise RuntimeError(f"bench/load.py failed against {url}: {out.stderr.strip()}")
    result = json.loads(out.stdout)
    result["load_cpu_s"] = (after.children_user + after.children_system
                            - before.children_user - before.children_system)
    return result


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of the processes and of their children, alive or reaped."""
    total = 0
    seen = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        todo += [int(child) for child in children]
    return total / CLOCK_TICKS


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 120 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
