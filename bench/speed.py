"""Speed of searchsvc beside the engines a user could pick instead, measured in one run.

For BBC, Reuters-21578 and Reuters ×5 (the Reuters files again under new ids) it builds an
index with searchsvc and with each reference engine (a naive Whoosh app, SQLite FTS5,
tantivy), then times the query list (bench/queries.txt: top 10 with highlighted snippets)
in-process. On Reuters it also serves the index with `searchsvc serve` and loads it over HTTP
from a separate process (bench/load.py) at concurrency 1, 4 and 16, and times how long a
changed article takes to become searchable after `searchsvc index` finishes. The machine is
shared and noisy: ratios between engines measured in the same run are the figures that count.

Usage: python bench/speed.py [--quick] [--skip-x5] [--corpora DIR] [--json FILE]
(tantivy: pip install '.[bench]' or pip install tantivy; without it its rows are left out)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from engines import (REFERENCES, Built, Searchsvc, read_articles,  # noqa: E402
                     tantivy_available)
from workload import DEFAULT_CORPORA, Corpus, Query, corpora, load_queries, percentile  # noqa: E402

CONCURRENCY = (1, 4, 16)
HTTP_ROUNDS = 3
FRESH_WORD = "zephyrquokka"
FIRST_PASS_OF = "searchsvc-nocache"
FIRST_PASS = "searchsvc-1st-pass"
"""searchsvc-nocache's warm-up pass: each query's terms read from the index for the first
time (postings, positions and offsets are then kept in memory for the index generation)."""
FRESH_TIMEOUT_S = 10.0


@dataclass
class Latency:
    """In-process query times of one engine on one corpus, in ms."""

    samples: list[float] = field(default_factory=list)

    def p(self, fraction: float) -> float:
        return percentile(self.samples, fraction)


@dataclass
class CorpusResult:
    corpus: str
    passes: int
    built: dict[str, Built] = field(default_factory=dict)
    build_runs: dict[str, list[float]] = field(default_factory=dict)
    latency: dict[str, Latency] = field(default_factory=dict)
    http: list[dict] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)
    fresh: dict[str, float] = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="folder holding bbc/ and reuters21578/ (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions (about half the time, noisier figures)")
    parser.add_argument("--skip-x5", action="store_true", help="leave out Reuters ×5")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    missing = [name for name in ("bbc", "reuters21578") if not (args.corpora / name).is_dir()]
    if missing:
        print(f"error: {', '.join(missing)} not found under {args.corpora} (see --corpora)",
              file=sys.stderr)
        return 2
    references = [name for name in REFERENCES if name != "tantivy" or tantivy_available()]
    if "tantivy" not in references:
        print("note: tantivy is not installed (pip install tantivy); its rows are left out",
              file=sys.stderr)
    queries = load_queries()
    work = Path(tempfile.mkdtemp(prefix="searchsvc-bench-"))
    started = time.perf_counter()
    results = []
    try:
        for corpus in corpora(args.corpora, work, with_copies=not args.skip_x5):
            _log(f"== {corpus.name}")
            plan = plan_for(corpus.name, references, args.quick)
            results.append(bench_corpus(corpus, plan, queries, work / f"bench-{corpus.name}"))
            shutil.rmtree(work / f"bench-{corpus.name}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_report(results, references, queries, time.perf_counter() - started)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))
    return 0


@dataclass(frozen=True)
class Plan:
    """How much to measure on one corpus: query passes after the warm-up, index builds of
    searchsvc and of each reference engine, the reference engines, seconds of HTTP load per
    concurrency (0: no HTTP)."""

    passes: int
    builds: int
    reference_builds: int
    references: tuple[str, ...]
    http_seconds: float = 0.0


def plan_for(corpus: str, references: list[str], quick: bool) -> Plan:
    """Reuters, where the targets are, gets the repetitions; BBC a few passes; Reuters ×5
    one pass and no naive Whoosh (its build alone would take minutes)."""
    if corpus == "reuters":
        return Plan(passes=2 if quick else 5, builds=1 if quick else 3,
                    reference_builds=1 if quick else 2, references=tuple(references),
                    http_seconds=4.0 if quick else 10.0)
    if corpus == "bbc":
        return Plan(passes=1 if quick else 3, builds=1, reference_builds=1,
                    references=tuple(references))
    return Plan(passes=1, builds=1, reference_builds=1,
                references=tuple(r for r in references if r != "whoosh-naive"))


def bench_corpus(corpus: Corpus, plan: Plan, queries: list[Query], work: Path) -> CorpusResult:
    result = CorpusResult(corpus.name, plan.passes)
    engines = {}
    ours = Searchsvc()
    for run in range(plan.builds):
        shutil.rmtree(work / "index-searchsvc", ignore_errors=True)
        built = ours.build(corpus, work / "index-searchsvc")
        result.build_runs.setdefault(ours.name, []).append(built.seconds)
        _log(f"   {ours.name} indexed {built.articles:,} articles in {built.seconds:.1f} s "
             f"({built.cpu_seconds:.1f} CPU s)")
    result.built[ours.name] = _median_build(built, result.build_runs[ours.name])
    engines[ours.name] = ours

    engines[f"{ours.name}-nocache"] = ours.uncached()
    read = read_articles(corpus)
    _log(f"   read {len(read.articles):,} articles for the reference engines in "
         f"{read.seconds:.1f} s")
    for name in plan.references:
        runs = []
        for run in range(plan.reference_builds):
            engine = REFERENCES[name]()
            folder = work / f"index-{name}-{run}"
            built = engine.build_from(read, folder)
            runs.append(built.seconds)
            _log(f"   {name} indexed {built.articles:,} articles in {built.seconds:.1f} s "
                 f"({built.cpu_seconds:.1f} CPU s)")
            if run < plan.reference_builds - 1:
                engine.close()
                shutil.rmtree(folder, ignore_errors=True)
        result.build_runs[name] = runs
        result.built[name] = _median_build(built, runs)
        engines[name] = engine
    del read
    gc.collect()

    result.latency = time_queries(engines, queries, plan.passes)
    for engine in engines.values():
        engine.close()
    if plan.http_seconds:
        result.http, result.rss_mb, result.fresh = bench_http(ours.folder, work,
                                                              plan.http_seconds)
    return result


def _median_build(last: Built, runs: list[float]) -> Built:
    return Built(last.articles, statistics.median(runs), last.size_bytes, last.cpu_seconds)


def time_queries(engines: dict, queries: list[Query], passes: int) -> dict[str, Latency]:
    """Every query through every engine, `passes` times after one warm-up pass; engines take
    turns query by query, so a noisy moment hits them all alike."""
    latency = {name: Latency() for name in engines}
    first = Latency()  # searchsvc-nocache's warm-up pass: every term read for the first time
    for number in range(passes + 1):
        for query in queries:
            for name, engine in engines.items():
                began = time.perf_counter()
                hits = engine.search(query)
                elapsed = (time.perf_counter() - began) * 1000
                if number:
                    latency[name].samples.append(elapsed)
                elif name == FIRST_PASS_OF:
                    first.samples.append(elapsed)
                elif not hits and name == "searchsvc":
                    _log(f"   note: no results for {query}")
    if first.samples:
        latency[FIRST_PASS] = first
    for name, values in latency.items():
        _log(f"   {name}: p50 {values.p(0.5):.2f} ms, p99 {values.p(0.99):.2f} ms")
    return latency


# HTTP ------------------------------------------------------------------------------------


def bench_http(index: Path, work: Path, seconds: float):
    """`searchsvc serve` on the index; load from bench/load.py at each concurrency, with the
    results cache as served and then with it off (every request computed); the server's peak
    memory; then how fast a changed article becomes searchable."""
    from searchsvc.indexing import update_index

    fresh = work / "fresh"
    fresh.mkdir()
    story = fresh / "story.txt"
    _write_story(story, "an ordinary story about the harbour")
    update_index(index, [fresh], progress=False)
    empty = work / "no-seeds"  # also the server's working folder
    empty.mkdir()
    with _serving(index, empty, work / "serve-nocache.log", cache_entries=0) as (url, _):
        computed = _load_levels(url, seconds, "no results cache")
    with _serving(index, empty, work / "serve.log") as (url, server):
        runs = _load_levels(url, seconds, "")
        rss = _peak_rss_mb(server.pid)
        fresh_result = _freshness(url, index, fresh, story)
        _log(f"   changed article searchable {fresh_result['searchable_after_s']:.3f} s "
             f"after `searchsvc index` finished ({fresh_result['index_command_s']:.2f} s)")
    for run in computed:
        run["computed"] = True
    return runs + computed, rss, fresh_result


@contextlib.contextmanager
def _serving(index: Path, folder: Path, log_path: Path, cache_entries: int | None = None):
    """`searchsvc serve` on `index` at a free port: yields its URL and process."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    if cache_entries is not None:
        env["SEARCHSVC_RESULTS_CACHE"] = str(cache_entries)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "searchsvc", "serve", "--index", str(index), "--seeds",
             str(folder), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
            cwd=folder, env=env)
        try:
            _wait_for(url + "/healthz", server)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _load_levels(url: str, seconds: float, label: str) -> list[dict]:
    """Every query through every worker once, untimed; then the concurrency levels in turn,
    HTTP_ROUNDS times, so that a busy moment hits them all; medians of the rounds."""
    _load(url, 16, 0, warm=True)
    rounds: dict[int, list[dict]] = {c: [] for c in CONCURRENCY}
    for _ in range(HTTP_ROUNDS):
        for concurrency in CONCURRENCY:
            rounds[concurrency].append(_load(url, concurrency, seconds / HTTP_ROUNDS))
    runs = [_median_run(concurrency, found) for concurrency, found in rounds.items()]
    for run in runs:
        _log(f"   HTTP{' (' + label + ')' if label else ''} c={run['concurrency']}: "
             f"p50 {run['p50_ms']:.2f} ms, p99 {run['p99_ms']:.2f} ms, "
             f"{run['requests_per_s']:.0f} req/s"
             + (f", {run['errors']} errors" if run["errors"] else ""))
    return runs


def _median_run(concurrency: int, runs: list[dict]) -> dict:
    """Medians over the rounds of one concurrency level; errors summed."""
    return {"concurrency": concurrency, "errors": sum(r["errors"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
            **{key: statistics.median(r[key] for r in runs)
               for key in ("requests_per_s", "p50_ms", "p99_ms")}}


def _load(url: str, concurrency: int, seconds: float, warm: bool = False) -> dict:
    out = subprocess.run([sys.executable, str(BENCH / "load.py"), "--url", url,
                          "--concurrency", str(concurrency), "--seconds", str(seconds),
                          *(["--warm"] if warm else [])],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"bench/load.py failed against {url}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def _freshness(url: str, index: Path, fresh: Path, story: Path) -> dict:
    """Change the article, run `searchsvc index` on its folder, and poll the server until a
    search for the new word finds it; also until 20 searches in a row all do (every worker)."""
    _write_story(story, f"an ordinary story about the harbour and the {FRESH_WORD}")
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "searchsvc", "index", "--index", str(index),
                    str(fresh)], capture_output=True, check=True)
    finished = time.perf_counter()
    search = f"{url}/api/search?q={urllib.parse.quote(FRESH_WORD)}"
    first = every = None
    streak = 0
    while time.perf_counter() - finished < FRESH_TIMEOUT_S:
        with urllib.request.urlopen(search, timeout=10) as response:
            found = json.load(response)["total"] > 0
        now = time.perf_counter() - finished
        if found:
            first = now if first is None else first
            streak += 1
            if streak == 20:
                every = now
                break
        else:
            streak = 0
    return {"index_command_s": finished - began,
            "searchable_after_s": first if first is not None else float("inf"),
            "all_workers_after_s": every if every is not None else float("inf")}


def _write_story(path: Path, body: str) -> None:
    path.write_text(f"date 1987-06-01\ntitle Harbour news\nsource Bench\n\n{body}.\n\nBench\n",
                    encoding="utf-8")


def _peak_rss_mb(pid: int) -> dict[str, float]:
    """Peak resident memory (VmHWM) of the gunicorn master and of each worker."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    peaks = {}
    for number, child in enumerate(pids):
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmHWM"))
        peaks["master" if number == 0 else f"worker-{number}"] = kb / 1024
    peaks["total"] = sum(peaks.values())
    return peaks


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("searchsvc serve exited early; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("searchsvc serve did not answer within 120 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Report ----------------------------------------------------------------------------------


def print_report(results: list[CorpusResult], references: list[str], queries: list[Query],
                 seconds: float) -> None:
    names = ["searchsvc", *references]
    passes = ", ".join(f"{r.corpus} {r.passes}" for r in results)
    print(f"\nsearchsvc speed: {len(queries)} queries (top 10 with snippets) × passes ({passes})"
          f"; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end; "
          f"{seconds / 60:.1f} min")
    print("\nIndexing (reading and cleaning included; wall-clock median of the runs, CPU "
          "seconds of the last run, process and children)")
    print(f"{'corpus':<11}{'engine':<19}{'articles':>9}{'seconds':>9}{'art/s':>9}"
          f"{'vs naive':>9}{'CPU s':>8}{'size MB':>9}  runs (s)")
    for result in results:
        naive = result.built.get("whoosh-naive")
        for name in names:
            built = result.built.get(name)
            if built is None:
                continue
            ratio = f"{built.rate / naive.rate:.2f}×" if naive and naive.rate else ""
            runs = " ".join(f"{s:.1f}" for s in result.build_runs.get(name, []))
            print(f"{result.corpus:<11}{name:<19}{built.articles:>9,}{built.seconds:>9.1f}"
                  f"{built.rate:>9,.0f}{ratio:>9}{built.cpu_seconds:>8.1f}"
                  f"{built.size_bytes / 2**20:>9.1f}  {runs}")

    print("\nIn-process query latency, ms (p50/p95/p99 over all passes after a warm-up pass; "
          "ratio = p50 / FTS5 p50;\n searchsvc answers repeats from its results cache, "
          "searchsvc-nocache computes every query, searchsvc-1st-pass is searchsvc-nocache's\n"
          " warm-up pass, where every term's postings are read from the index for the first "
          "time)")
    print(f"{'corpus':<11}{'engine':<19}{'p50':>9}{'p95':>9}{'p99':>9}{'vs fts5':>9}")
    for result in results:
        fts5 = result.latency.get("sqlite-fts5")
        for name in [names[0], f"{names[0]}-nocache", FIRST_PASS, *names[1:]]:
            latency = result.latency.get(name)
            if latency is None:
                continue
            ratio = f"{latency.p(0.5) / fts5.p(0.5):.2f}×" if fts5 else ""
            print(f"{result.corpus:<11}{name:<19}{latency.p(0.5):>9.2f}{latency.p(0.95):>9.2f}"
                  f"{latency.p(0.99):>9.2f}{ratio:>9}")

    for result in results:
        if not result.http:
            continue
        print(f"\nHTTP on {result.corpus}: searchsvc serve, /api/search from bench/load.py "
              f"(medians of {HTTP_ROUNDS} rounds; served: the queries repeat, so they are "
              "answered\n from the results cache; computed: the server run with "
              "SEARCHSVC_RESULTS_CACHE=0, every request searched)")
        print(f"{'results':<10}{'concurrency':<13}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
              f"{'errors':>8}")
        for run in result.http:
            kind = "computed" if run.get("computed") else "served"
            print(f"{kind:<10}{run['concurrency']:<13}{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}"
                  f"{run['requests_per_s']:>9.0f}{run['errors']:>8}")
        print("peak RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in result.rss_mb.items()))
        print(f"changed article searchable {result.fresh['searchable_after_s']:.3f} s after "
              f"`searchsvc index` finished (every worker: "
              f"{result.fresh['all_workers_after_s']:.3f} s; the command took "
              f"{result.fresh['index_command_s']:.2f} s)")

    for name in ("searchsvc", "searchsvc-nocache", FIRST_PASS):
        print(f"Latency growth, {name} p50 / p99 ms: " + ", ".join(
            f"{r.corpus} ({r.built['searchsvc'].articles:,}) "
            f"{r.latency[name].p(0.5):.2f} / {r.latency[name].p(0.99):.2f}" for r in results))
    print_targets(results)


def print_targets(results: list[CorpusResult]) -> None:
    reuters = next((r for r in results if r.corpus == "reuters"), None)
    if reuters is None:
        return
    checks = []
    fts5 = reuters.latency.get("sqlite-fts5")
    for name in ("searchsvc", "searchsvc-nocache") if fts5 else ():
        ours = reuters.latency[name]
        checks.append((f"{name} p50 <= FTS5 p50",
                       f"{ours.p(0.5):.2f} vs {fts5.p(0.5):.2f} ms", ours.p(0.5) <= fts5.p(0.5)))
        checks.append((f"{name} p99 < 5 x FTS5 p50",
                       f"{ours.p(0.99):.2f} vs {5 * fts5.p(0.5):.2f} ms",
                       ours.p(0.99) < 5 * fts5.p(0.5)))
    if reuters.http:
        for kind in ("served", "computed"):
            by = {run["concurrency"]: run for run in reuters.http
                  if bool(run.get("computed")) == (kind == "computed")}
            if not by:
                continue
            checks.append((f"HTTP p50 at c=1 <= 5 ms ({kind})", f"{by[1]['p50_ms']:.2f} ms",
                           by[1]["p50_ms"] <= 5))
            scale = by[16]["requests_per_s"] / by[1]["requests_per_s"]
            checks.append((f"req/s at c=16 >= 1.7 x c=1 ({kind})", f"{scale:.2f}×",
                           scale >= 1.7))
        checks.append(("changed article searchable < 1 s",
                       f"{reuters.fresh['searchable_after_s']:.3f} s",
                       reuters.fresh["searchable_after_s"] < 1))
    naive = reuters.built.get("whoosh-naive")
    if naive:
        ratio = reuters.built["searchsvc"].rate / naive.rate
        cpu = naive.cpu_seconds / reuters.built["searchsvc"].cpu_seconds
        checks.append(("indexing >= 3 x naive Whoosh", f"{ratio:.2f}× ({cpu:.2f}× in CPU time)",
                       ratio >= 3))
    print("\nTargets (Reuters)")
    for name, value, ok in checks:
        print(f"  [{'met' if ok else 'MISSED':>6}] {name:<46} {value}")


if __name__ == "__main__":
    sys.exit(main())
