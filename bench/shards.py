"""Shards: building the scale benchmark's archive into shards on a Ray cluster of 1 and of 2
worker processes, beside one index built the usual way, then search latency on the shards
beside one index of the same articles.

The archive is bench/generate.py's (~1 KB articles recombined from Reuters-21578 and BBC
sentences, one JSON Lines export, cached between runs). It is indexed three times, each by the
command a user runs: `searchsvc index --rebuild` (one index; its writer processes, one per
core, read parts of the export side by side), and `searchsvc index --shards N --workers W` for
W = 1 and 2 (a Ray cluster of W worker processes started for the build: read tasks write every
shard's segments, then a task per shard commits them). Wall time, and CPU time of the command
and every process it started (sampled from /proc every 0.2 s).

Then the same 30 queries (bench/generate.py's) are searched in this process, results cache
off, page 1 by relevance and page 2 newest first: on the one index (SearchIndex), on the
shards in this process, and on the shards on a Ray cluster of 2 worker processes (one actor
per shard); the answers are checked to be the same, and each engine's p50/p90/p99 printed.
The machine's 2 cores are shared: compare the ratios of one run.

Usage: python bench/shards.py [--size 1000000] [--shards 4] [--rounds 3] [--cache DIR]
                              [--corpora DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from generate import DEFAULT_CACHE, CorporaMissing, exports, queries as draw_queries, read_pool  # noqa: E402,E501
from processes import process_tree  # noqa: E402
from workload import DEFAULT_CORPORA, percentile  # noqa: E402

from searchsvc.cluster import connect  # noqa: E402
from searchsvc.searching import SearchIndex, SearchRequest  # noqa: E402
from searchsvc.searching.sharded import ShardedSearchIndex  # noqa: E402

QUERIES = 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="articles (default: 1M)")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the queries timed")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args(argv)
    try:
        pool = read_pool(args.corpora)
    except CorporaMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    export = exports([args.size], args.cache, args.corpora, log=_log)[args.size]
    queries = draw_queries(pool, QUERIES)
    work = Path(tempfile.mkdtemp(prefix="searchsvc-shards-"))
    try:
        builds = {}
        _log(f"one index of {export.path.name}")
        builds["one index (writer processes)"] = _build(
            ["--rebuild", "--index", str(work / "single")], export.path, work / "single.log")
        for workers in (1, 2):
            _log(f"{args.shards} shards on {workers} worker process(es)")
            builds[f"{args.shards} shards, {workers} worker(s)"] = _build(
                ["--shards", str(args.shards), "--workers", str(workers), "--index",
                 str(work / f"sharded-{workers}")], export.path, work / f"sharded-{workers}.log")
        shutil.rmtree(work / "sharded-1", ignore_errors=True)
        latencies, same = _search(work / "single", work / "sharded-2", queries, args.rounds)
        _report(args, export, builds, latencies, same)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _build(options: list[str], export: Path, log_path: Path) -> dict:
    """Run `searchsvc index` with `options`; its wall time and the CPU time of its tree."""
    with open(log_path, "w") as log:
        began = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "searchsvc", "index", *options,
                                    str(export)], stdout=log, stderr=subprocess.STDOUT)
        cpu = _TreeCpu(process.pid)
        process.wait()
        seconds = time.perf_counter() - began
        cpu.stop()
    output = log_path.read_text(errors="replace")
    if process.returncode not in (0, 1):
        raise SystemExit(f"searchsvc index failed (exit {process.returncode}):\n"
                         f"{output[-3000:]}")
    counted = re.search(r"([\d,]+) articles in", output)
    articles = int(counted.group(1).replace(",", "")) if counted else 0
    _log(f"   {articles:,} articles in {seconds:.1f} s, {cpu.seconds:.1f} CPU s")
    return {"articles": articles, "seconds": seconds, "cpu_seconds": cpu.seconds}


class _TreeCpu:
    """The CPU time of a process and its descendants (each one's last reading), every 0.2 s."""

    def __init__(self, pid: int):
        self.pid = pid
        self.last: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @property
    def seconds(self) -> float:
        return sum(self.last.values())

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            for pid in process_tree(self.pid):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.last[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        self._done.set()
        self._thread.join()



def _search(single: Path, sharded: Path, queries: list[str], rounds: int):
    """Each engine's latencies (ms) over `rounds` rounds of the requests, after one round
    to warm them, and whether they all gave the same answers."""
    connect(None, workers=2)
    import ray

    engines = {
        "one index": SearchIndex(single, cache_entries=0),
        "shards, in this process": ShardedSearchIndex(sharded, cache_entries=0),
        "shards, Ray (2 workers)": ShardedSearchIndex(
            sharded, cache_entries=0, cluster=ray.get_runtime_context().gcs_address),
    }
    requests = [SearchRequest(q=q) for q in queries] + \
        [SearchRequest(q=q, sort="newest", page=2) for q in queries]
    answers = {name: [_comparable(engine.search(request)) for request in requests]
               for name, engine in engines.items()}
    same = all(found == answers["one index"] for found in answers.values())
    latencies: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for request in requests:
            for name, engine in engines.items():
                began = time.perf_counter()
                engine.search(request)
                latencies[name].append((time.perf_counter() - began) * 1000)
    return latencies, same


def _comparable(results) -> dict:
    found = asdict(results)
    found.pop("took_ms")
    for hit in found["hits"]:
        hit.pop("indexed")
    return found


def _report(args, export, builds: dict, latencies: dict, same: bool) -> None:
    print(f"\nsearchsvc shards: {export.articles:,} articles ({export.bytes / 1e6:,.0f} MB of "
          f"JSON Lines), {args.shards} shards by story; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"{'build':<34}{'articles':>11}{'wall s':>9}{'CPU s':>9}{'cores':>7}"
          f"{'articles/s':>12}")
    for name, build in builds.items():
        print(f"{name:<34}{build['articles']:>11,}{build['seconds']:>9.1f}"
              f"{build['cpu_seconds']:>9.1f}{build['cpu_seconds'] / build['seconds']:>7.2f}"
              f"{build['articles'] / build['seconds']:>12,.0f}")
    one = builds[f"{args.shards} shards, 1 worker(s)"]
    two = builds[f"{args.shards} shards, 2 worker(s)"]
    print(f"2 workers build the shards {one['seconds'] / two['seconds']:.2f}x as fast as 1, "
          f"with {two['cpu_seconds'] / two['seconds']:.2f} cores busy against "
          f"{one['cpu_seconds'] / one['seconds']:.2f} (cores: CPU s / wall s; the machine's "
          "other work takes the rest)")
    print(f"\nsearch, {len(latencies['one index']) // args.rounds} requests x {args.rounds} "
          f"rounds (page 1 by relevance and page 2 newest first of {QUERIES} queries), "
          f"results cache off; same answers from all: {'yes' if same else 'NO'}")
    print(f"{'engine':<28}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}")
    for name, found in latencies.items():
        found = sorted(found)
        print(f"{name:<28}{percentile(found, 0.5):>9.1f}{percentile(found, 0.9):>9.1f}"
              f"{percentile(found, 0.99):>9.1f}")


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
