"""Archive scale: searchsvc on a generated archive of 100k, 300k and 1M news articles, beside
SQLite FTS5 (and tantivy) on the same articles and queries, in one run.

For each size, the archive (bench/generate.py: real Reuters-21578 and BBC sentences
recombined, ~1 KB each, one JSON Lines export, cached between runs) is indexed the way a user
does it, `searchsvc index --rebuild --index DIR FILE`: wall time, rate, CPU time, peak memory
of the indexing processes, index size. Then `searchsvc serve` (2 workers, results cache off)
is started on it: how soon it answers, the first 5 searches and first 2 suggestions after the
start (5 queries kept apart for this), memory per worker (RSS, and PSS, which counts pages
shared between the workers once), and 30 queries sent over HTTP by a separate process
(bench/load.py, concurrency 1, a new connection each): round 1 first-seen, rounds 2 and 3
repeated. FTS5 and tantivy index the same export in this process and answer the same 30
queries, 3 rounds, query by query in turn. The figures are wall-clock on a shared machine:
compare the ratios of one run.

Usage: python bench/scale.py [--sizes 100000,300000,1000000] [--files N] [--cache DIR]
                             [--corpora DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from engines import REFERENCES, cpu_seconds, tantivy_available  # noqa: E402
from generate import (DEFAULT_CACHE, SEED, CorporaMissing, Export, exports,  # noqa: E402
                      queries as draw_queries, read_pool)
from load import once  # noqa: E402
from processes import process_tree  # noqa: E402
from workload import DEFAULT_CORPORA, Query, percentile  # noqa: E402

SIZES = (100_000, 300_000, 1_000_000)
QUERIES = 30
PROBES = 5  # searches sent first after the start, kept out of the 30
SUGGESTIONS = 2
ROUNDS = 3
WORKERS = 2
MIB = 2**20
START_TIMEOUT_S = 900.0

# Targets at the largest size (issue 11).
FIRST_SEEN_P50_VS_FTS5_P50 = 1 / 8
FIRST_SEEN_P99_VS_FTS5_MAX = 1 / 10
PSS_PER_WORKER_MIB = 1024
FIRST_ANSWER_MS = 100
INDEX_RATE = 2000
SIZE_VS_FTS5 = 1.5


@dataclass
class Latencies:
    """Query times in ms, in the order sent."""

    ms: list[float] = field(default_factory=list)

    def p(self, fraction: float) -> float:
        return percentile(self.ms, fraction)

    @property
    def max(self) -> float:
        return max(self.ms, default=0.0)

    def summary(self) -> str:
        return (f"{self.p(0.5):,.1f} / {self.p(0.9):,.1f} / {self.p(0.99):,.1f} / "
                f"{self.max:,.1f}")


@dataclass
class Indexing:
    """What building one engine's index of the export cost."""

    articles: int
    seconds: float
    cpu_seconds: float
    size_bytes: int
    peak_rss_mib: float | None = None  # the indexing processes together (searchsvc only)

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


@dataclass
class Worker:
    """One gunicorn worker's memory after the query rounds, in MiB."""

    pid: int
    rss: float
    pss: float
    peak_rss: float


@dataclass
class Serving:
    """`searchsvc serve` from its start to the end of the query rounds."""

    ready_s: float  # start until /healthz answers
    first_answer_s: float  # start until the first search is answered
    first_searches: Latencies
    first_suggestions: Latencies
    workers: list[Worker]
    first_seen: Latencies
    repeated: Latencies
    errors: int


@dataclass
class SizeResult:
    articles: int
    export_bytes: int
    export_files: int
    generated_s: float | None
    indexing: dict[str, Indexing] = field(default_factory=dict)
    serving: Serving | None = None
    latency: dict[str, Latencies] = field(default_factory=dict)  # in-process, every round


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=SIZES,
                        help="articles per archive, comma-separated (default: 100000,300000,"
                             "1000000; 10000,30000 for a quick check)")
    parser.add_argument("--files", type=_files, default=1,
                        help="split each export into this many .jsonl files (default: one "
                             "big file, as a user brings it)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="folder of generated exports, reused (default: %(default)s)")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="folder holding reuters21578/ and bbc/ (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        pool = read_pool(args.corpora)
    except CorporaMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 2
    references = [n for n in ("sqlite-fts5", "tantivy") if n != "tantivy" or tantivy_available()]
    if "tantivy" not in references:
        _log("note: tantivy is not installed (pip install '.[bench]'); its column is left out")
    drawn = draw_queries(pool, QUERIES + PROBES)
    probes, queries = drawn[:PROBES], drawn[PROBES:]
    suggestions = [_typed(q) for q in probes[:SUGGESTIONS]]
    found = exports(sorted(args.sizes), args.cache, args.corpora, args.files, log=_log)
    started = time.perf_counter()
    results = []
    work = Path(tempfile.mkdtemp(prefix="searchsvc-scale-"))
    try:
        for size in sorted(args.sizes):
            _log(f"== {size:,} articles: {found[size].path}")
            result = bench_size(found[size], args.files, queries, probes, suggestions,
                                references, work / str(size))
            results.append(result)
            print_size(result, references)
            shutil.rmtree(work / str(size), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_summary(results, references, queries, time.perf_counter() - started)
    print_targets(results[-1])
    if args.json:
        args.json.write_text(json.dumps({"queries": queries, "probes": probes,
                                         "suggestions": suggestions,
                                         "results": [asdict(r) for r in results]}, indent=1))
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give article counts like 10000,30000")
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def _files(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of files, 1 or more")
    return int(text)


def _typed(query: str) -> str:
    """A query as typed halfway into a search box: its last word cut short."""
    words = query.replace('"', "").split()
    last = words[-1]
    return " ".join([*words[:-1], last[:max(2, len(last) // 2)]])


def bench_size(export: Export, files: int, queries: list[str], probes: list[str],
               suggestions: list[str], references: list[str], work: Path) -> SizeResult:
    work.mkdir(parents=True)
    result = SizeResult(export.articles, export.bytes, files, export.generated_s)
    index = work / "index-searchsvc"
    result.indexing["searchsvc"] = index_searchsvc(export, index, work / "index.log")
    built = result.indexing["searchsvc"]
    _log(f"   searchsvc indexed {built.articles:,} articles in {built.seconds:.1f} s "
         f"({built.cpu_seconds:.1f} CPU s)")
    result.serving = serve_and_query(index, work, queries, probes, suggestions)
    if result.serving.errors:
        _log(f"   note: {result.serving.errors} searches failed; see the figures with care")
    shutil.rmtree(index, ignore_errors=True)
    engines = {}
    for name in references:
        engine = REFERENCES[name]()
        result.indexing[name] = load_reference(engine, export, work / f"index-{name}")
        _log(f"   {name} indexed {result.indexing[name].articles:,} articles in "
             f"{result.indexing[name].seconds:.1f} s")
        engines[name] = engine
    result.latency = time_in_process(engines, queries)
    for engine in engines.values():
        engine.close()
    return result


# searchsvc, through its command line and HTTP -------------------------------------------


def index_searchsvc(export: Export, index: Path, log_path: Path) -> Indexing:
    """`searchsvc index --rebuild --index DIR EXPORT` as a user runs it; its memory sampled
    over the process and its children, its CPU time from the kernel's accounting."""
    with open(log_path, "w") as log:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "searchsvc", "index", "--rebuild", "--index", str(index),
             str(export.path)], stdout=log, stderr=subprocess.STDOUT)
        peak = _PeakMemory(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        peak.stop()
    output = log_path.read_text(errors="replace")
    if process.returncode not in (0, 1):
        raise SystemExit(f"searchsvc index failed (exit {process.returncode}):\n{output[-3000:]}")
    counted = re.search(r"([\d,]+) articles in the index", output)
    articles = int(counted.group(1).replace(",", "")) if counted else 0
    skipped = [line.strip() for line in output.splitlines() if line.strip().startswith("skipped")]
    if articles < export.articles:
        raise SystemExit(
            f"searchsvc indexed {articles:,} of the export's {export.articles:,} articles, "
            "so its figures would not compare with the other engines':\n"
            + "".join(f"  {line}\n" for line in skipped[:5])
            + "(an export this searchsvc cannot read whole can be split: --files N)")
    return Indexing(articles, seconds, usage.ru_utime + usage.ru_stime, _disk_size(index),
                    peak.mib)


class _PeakMemory:
    """The largest total RSS of a process and its descendants, sampled every 0.1 s."""

    def __init__(self, pid: int):
        self.pid = pid
        self.mib = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            total = sum(_status_kib(pid, "VmRSS") for pid in process_tree(self.pid)) / 1024
            self.mib = max(self.mib, total)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()



def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _disk_size(folder: Path) -> int:
    """Bytes of the files under `folder`, a file hard-linked twice counted once."""
    seen, total = set(), 0
    for path in folder.rglob("*"):
        stat = path.lstat()
        if path.is_file() and (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            total += stat.st_size
    return total


def serve_and_query(index: Path, work: Path, queries: list[str], probes: list[str],
                    suggestions: list[str]) -> Serving:
    """Start `searchsvc serve` on the index (2 workers, results cache off), wait for
    /healthz, send the first searches and suggestions at once from here, then the query
    rounds from bench/load.py; read each worker's memory at the end."""
    folder = work / "serve"  # a folder without seeds/: serve serves the index as it is
    folder.mkdir()
    query_file = work / "queries.txt"
    query_file.write_text("".join(f"{q}\n" for q in queries), encoding="utf-8")
    with _serving(index, folder, work / "serve.log") as (url, server, began):
        ready_s = _wait_until_ready(url, server, began)
        first = once(url, [_path("/api/search", probes[0])])
        first_answer_s = time.perf_counter() - began
        first += once(url, [_path("/api/search", q) for q in probes[1:]])
        suggested = once(url, [_path("/api/suggest", q) for q in suggestions])
        rounds = [_load_once(url, query_file) for _ in range(ROUNDS)]
        workers = [_worker_memory(pid) for pid in process_tree(server.pid)[1:]]
    errors = sum(ms is None for ms in first + suggested + [m for r in rounds for m in r])
    _log(f"   serve: ready after {ready_s:.2f} s, first searches "
         + ", ".join(_ms(m) for m in first) + " ms, first suggestions "
         + ", ".join(_ms(m) for m in suggested) + " ms")

    def kept(values):
        return Latencies([m for m in values if m is not None])

    return Serving(ready_s, first_answer_s, kept(first), kept(suggested), workers,
                   kept(rounds[0]), kept([m for r in rounds[1:] for m in r]), errors)


def _path(endpoint: str, text: str) -> str:
    return f"{endpoint}?{urllib.parse.urlencode({'q': text})}"


def _ms(value: float | None) -> str:
    return "error" if value is None else f"{value:,.0f}"


@contextlib.contextmanager
def _serving(index: Path, folder: Path, log_path: Path):
    """`searchsvc serve` at a free port: yields its URL, process and start time."""
    port = _free_port()
    env = {**os.environ, "SEARCHSVC_RESULTS_CACHE": "0"}
    with open(log_path, "w") as log:
        began = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "searchsvc", "serve", "--index", str(index),
             "--port", str(port), "--workers", str(WORKERS)],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env)
        try:
            yield f"http://127.0.0.1:{port}", server, began
        except BaseException:
            _log(f"   serve log ({log_path}):\n" + log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(url: str, server: subprocess.Popen, began: float) -> float:
    while time.perf_counter() - began < START_TIMEOUT_S:
        if server.poll() is not None:
            raise RuntimeError("searchsvc serve exited early")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=60) as response:
                if response.status == 200:
                    return time.perf_counter() - began
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.02)
    raise RuntimeError(f"searchsvc serve did not answer within {START_TIMEOUT_S:.0f} s")


def _load_once(url: str, query_file: Path) -> list[float | None]:
    out = subprocess.run([sys.executable, str(BENCH / "load.py"), "--url", url, "--once",
                          "--queries", str(query_file)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"bench/load.py failed against {url}: {out.stderr.strip()}")
    return json.loads(out.stdout)["latency_ms"]


def _worker_memory(pid: int) -> Worker:
    """RSS and PSS from smaps_rollup (PSS splits each shared page among the processes that
    map it, so the workers' PSS add up to what they take together), and peak RSS."""
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0])
    return Worker(pid, rollup["Rss"] / 1024, rollup["Pss"] / 1024,
                  _status_kib(pid, "VmHWM") / 1024)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The reference engines, in this process -------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One article of the export, with the attributes the reference engines read."""

    id: str
    title: str
    body: str
    date: dt.date
    source: str
    language: str


def read_export(path: Path):
    """The export's articles, one at a time (the file or every .jsonl part, in order)."""
    for part in [path] if path.is_file() else sorted(path.glob("*.jsonl")):
        with part.open(encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line)
                yield Record(item["id"], item["title"], item["body"],
                             dt.date.fromisoformat(item["date"]), item["source"],
                             item["language"])


def load_reference(engine, export: Export, folder: Path) -> Indexing:
    """The engine's index of the export, read and parsed here (that cost is in its time)."""
    folder.mkdir()
    began, cpu = time.perf_counter(), cpu_seconds()
    engine.load(read_export(export.path), folder)
    return Indexing(export.articles, time.perf_counter() - began, cpu_seconds() - cpu,
                    _disk_size(folder))


def time_in_process(engines: dict, queries: list[str]) -> dict[str, Latencies]:
    """The queries ROUNDS times through every engine, taking turns query by query."""
    latency = {name: Latencies() for name in engines}
    found_nothing = {name: 0 for name in engines}
    for _ in range(ROUNDS):
        for text in queries:
            query = Query(text)
            for name, engine in engines.items():
                began = time.perf_counter()
                hits = engine.search(query)
                latency[name].ms.append((time.perf_counter() - began) * 1000)
                found_nothing[name] += not hits
    for name, values in latency.items():
        _log(f"   {name}: p50 {values.p(0.5):.1f} ms, max {values.max:.1f} ms"
             + (f"; {found_nothing[name] // ROUNDS} of the queries found nothing"
                if found_nothing[name] else ""))
    return latency


# Report ----------------------------------------------------------------------------------


def print_size(result: SizeResult, references: list[str]) -> None:
    names = ["searchsvc", *references]
    how = ("cached" if result.generated_s is None
           else f"generated in {result.generated_s:.0f} s")
    parts = "one file" if result.export_files == 1 else f"{result.export_files} files"
    print(f"\n{result.articles:,} articles: JSON Lines export of "
          f"{result.export_bytes / MIB:,.0f} MiB in {parts} ({how}); {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<34}" + "".join(f"{n:>14}" for n in names))
    rows = [
        ("articles indexed", lambda b: f"{b.articles:,}"),
        ("indexing s (wall)", lambda b: f"{b.seconds:,.1f}"),
        ("indexing CPU s", lambda b: f"{b.cpu_seconds:,.1f}"),
        ("articles/s", lambda b: f"{b.rate:,.0f}"),
        ("articles per CPU s", lambda b: f"{b.articles / b.cpu_seconds:,.0f}"
         if b.cpu_seconds else ""),
        ("peak RSS of indexing MiB", lambda b: "" if b.peak_rss_mib is None
         else f"{b.peak_rss_mib:,.0f}"),
        ("index size MiB", lambda b: f"{b.size_bytes / MIB:,.0f}"),
    ]
    for label, cell in rows:
        print(f"{label:<34}" + "".join(f"{cell(result.indexing[n]):>14}" for n in names))
    serving = result.serving
    print(f"query ms, p50 / p90 / p99 / max ({QUERIES} queries; p99 of 30 is the max)")
    print(f"  {'searchsvc HTTP, first seen':<32}{serving.first_seen.summary()}")
    print(f"  {'searchsvc HTTP, repeated (x2)':<32}{serving.repeated.summary()}")
    for name in references:
        print(f"  {name + ', in-process (x3)':<32}{result.latency[name].summary()}")
    print(f"searchsvc serve ({WORKERS} workers, results cache off): /healthz answered "
          f"{serving.ready_s:.2f} s after the start, the first search {serving.first_answer_s:.2f}"
          f" s; first {PROBES} searches " + ", ".join(f"{m:,.0f}" for m in
                                                       serving.first_searches.ms)
          + " ms; first suggestions " + ", ".join(f"{m:,.0f}" for m in
                                                  serving.first_suggestions.ms) + " ms")
    print("  per worker, MiB: " + "; ".join(
        f"RSS {w.rss:,.0f}, PSS {w.pss:,.0f}, peak RSS {w.peak_rss:,.0f}"
        for w in serving.workers)
          + (f"; {serving.errors} requests failed" if serving.errors else ""))


def print_summary(results: list[SizeResult], references: list[str], queries: list[str],
                  seconds: float) -> None:
    """The issue's table: one row per size."""
    print(f"\nScale: {len(queries)} queries of 1-7 words x {ROUNDS} rounds (seed {SEED}); "
          f"searchsvc over HTTP, {WORKERS} workers, results cache off, from a separate "
          "process; FTS5 (words joined with OR, bm25, snippet(), top 10) and tantivy "
          f"(en_stem, top 10 with snippets) in-process; {seconds / 60:.1f} min\n")
    heads = ["articles", "searchsvc: index rate, size", "RSS / PSS per worker",
             "first 5 queries after start", "first suggestion",
             "HTTP first-seen p50 / p90 / p99 / max", "HTTP repeated p50 / p90 / p99 / max"]
    heads += [f"{_label(n)} (in-process): rate, size, p50 / p99 / max" for n in references]
    print("| " + " | ".join(heads) + " |")
    print("|" + " --- |" * len(heads))
    for r in results:
        ours, serving = r.indexing["searchsvc"], r.serving
        rss = ", ".join(f"{w.rss:,.0f}" for w in serving.workers)
        pss = ", ".join(f"{w.pss:,.0f}" for w in serving.workers)
        first = serving.first_searches.ms
        cells = [f"{r.articles:,}",
                 f"{ours.rate:,.0f}/s, {ours.size_bytes / MIB:,.0f} MiB",
                 f"RSS {rss} / PSS {pss} MiB",
                 f"{min(first, default=0):,.0f}-{max(first, default=0):,.0f} ms",
                 f"{serving.first_suggestions.ms[0]:,.0f} ms" if serving.first_suggestions.ms
                 else "error",
                 _four(serving.first_seen), _four(serving.repeated)]
        for name in references:
            built, latency = r.indexing[name], r.latency[name]
            cells.append(f"{built.rate:,.0f}/s, {built.size_bytes / MIB:,.0f} MiB, "
                         f"{latency.p(0.5):,.1f} / {latency.p(0.99):,.1f} / {latency.max:,.1f}"
                         " ms")
        print("| " + " | ".join(cells) + " |")


def _label(name: str) -> str:
    return {"sqlite-fts5": "SQLite FTS5", "tantivy": "tantivy"}.get(name, name)


def _four(latency: Latencies) -> str:
    return (f"{latency.p(0.5):,.1f} / {latency.p(0.9):,.1f} / {latency.p(0.99):,.1f} / "
            f"{latency.max:,.1f} ms")


def print_targets(result: SizeResult) -> None:
    """Issue 11's targets, checked at the largest size of the run."""
    serving, ours = result.serving, result.indexing["searchsvc"]
    checks = []
    fts5 = result.latency.get("sqlite-fts5")
    if fts5:
        checks.append(("first-seen p50 <= FTS5 p50 / 8",
                       f"{serving.first_seen.p(0.5):,.1f} vs {fts5.p(0.5):,.1f} / 8 ms",
                       serving.first_seen.p(0.5) <= fts5.p(0.5) * FIRST_SEEN_P50_VS_FTS5_P50))
        checks.append(("first-seen p99 <= FTS5 max / 10",
                       f"{serving.first_seen.p(0.99):,.1f} vs {fts5.max:,.1f} / 10 ms",
                       serving.first_seen.p(0.99) <= fts5.max * FIRST_SEEN_P99_VS_FTS5_MAX))
    pss = max((w.pss for w in serving.workers), default=0.0)
    checks.append(("PSS per worker <= 1 GiB", f"{pss:,.0f} MiB (largest worker)",
                   bool(serving.workers) and pss <= PSS_PER_WORKER_MIB))
    first = serving.first_searches.max
    checks.append((f"first {PROBES} searches after start <= 100 ms", f"slowest {first:,.0f} ms",
                   len(serving.first_searches.ms) == PROBES and first <= FIRST_ANSWER_MS))
    suggestion = serving.first_suggestions.ms[0] if serving.first_suggestions.ms else None
    checks.append(("first suggestion <= 100 ms", _ms(suggestion) + " ms",
                   suggestion is not None and suggestion <= FIRST_ANSWER_MS))
    checks.append(("indexing >= 2,000 articles/s", f"{ours.rate:,.0f}/s",
                   ours.rate >= INDEX_RATE))
    fts5_built = result.indexing.get("sqlite-fts5")
    if fts5_built:
        ratio = ours.size_bytes / fts5_built.size_bytes
        checks.append(("index size <= 1.5 x FTS5's", f"{ratio:.2f}x "
                       f"({ours.size_bytes / MIB:,.0f} vs {fts5_built.size_bytes / MIB:,.0f} MiB)",
                       ratio <= SIZE_VS_FTS5))
    print(f"\nTargets at {result.articles:,} articles")
    for name, value, ok in checks:
        print(f"  [{'met' if ok else 'MISSED':>6}] {name:<40} {value}")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
