"""Relevance of the served search defaults beside SQLite FTS5, tantivy and bm25s defaults, on
the test collections TIME, CISI, CACM and Cranfield, in one run and one table.

Each collection is written to a temporary folder in a format searchsvc reads (TIME: one
seed-text file per article, as today; CISI, CACM, Cranfield: their docs.jsonl as JSON Lines
with `title` and `body` apart and `language` en). searchsvc indexes those files with its own
reading and indexing (`update_index`) and answers through `SearchIndex.search` with default
settings. The peers (bench/rankers.py; their settings are printed first) are fed the same
title and body: TIME has no titles (searchsvc derives a headline from the lead sentence, as
for any untitled article; the peers get an empty title), and CACM records without an abstract
(1,617) have their title as body in every engine, since searchsvc skips an article without
text.

Queries are what a user would type: the query's words, lowercased, without punctuation (no
character is read as query syntax; `u.s.` stays one word), the same words for every engine.
A query longer than the service accepts (MAX_QUERY_CHARS characters, MAX_CLAUSES words) is
cut after its last word that fits, for every engine alike. Each engine lists its top 1000.

Measures follow trec_eval: averaged over the queries with at least one relevant judgment (a
query with nothing found scores 0); relevant documents that are judged but absent or not found
count in the denominators (TIME judges documents 424 and 425, which do not exist). MAP, P@10,
and nDCG@10 with gain = the grade (trec_eval's linear gain) and discount log2(rank + 1):
Cranfield uses qrels-graded.trec (grade 5 - Cleverdon code: 4 complete answer ... 1 minimum
interest, queries numbered by position 1..225 as its qrels are), the others are binary.
Times are CPU seconds of this process (all threads) for indexing and for all queries: they
say what a run costs, not how fast an engine is (that is bench/speed.py's job).

With --unstemmed, the collections stand for a language no engine has a stemmer for (as the
held-out collection in a language without a Snowball stemmer does): the articles are written
in Swahili (`sw`), which searchsvc indexes as it does any such language, lowercased and
accent-folded, without stemming or stop words; the peers drop their stemmer and stop words
(FTS5 tokenize='unicode61', tantivy's default tokenizer, bm25s with neither). The queries
are the same English words.

Usage: python bench/relevance.py [--corpora DIR] [--collection NAME]... [--engine NAME]...
                                 [--per-query] [--unstemmed]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH))

from searchsvc.searching import MAX_CLAUSES, MAX_QUERY_CHARS  # noqa: E402

from rankers import ENGINES, Document  # noqa: E402

DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
DEPTH = 1000
UNSTEMMED_LANGUAGE = "sw"  # Swahili: no Snowball stemmer, no stop list
CUTOFF = 10
_TIME_HEADER = re.compile(r"^\*TEXT\s+\d+\s+(\d\d)[/ ](\d\d)[/ ](\d\d)\s+PAGE\s+\d+\s*$")
_WORD = re.compile(r"[^\W_]+(?:\.[^\W_]+)*")  # words; u.s. and 3.5 stay whole


@dataclass
class Collection:
    """A test collection: its documents, a writer of them as files searchsvc reads, its
    queries (the words a user would type) and its judgments (query -> document -> grade)."""

    name: str
    documents: list[Document]
    write: Callable[[Path, str], None]  # the documents as article files in the folder
    # given, in the language given
    queries: dict[str, list[str]]
    qrels: dict[str, dict[str, int]]
    graded: bool
    cut: int = 0  # queries cut to the service's limits


def time_collection(root: Path) -> Collection:
    """TIME: docs/N.tim articles (no titles), queries.txt (`N text`), binary qrels.trec."""
    tims = {path.stem: path.read_text(encoding="ascii", errors="replace")
            for path in (root / "docs").glob("*.tim")}

    def write(folder: Path, language: str) -> None:
        for number, tim in tims.items():
            (folder / f"{number}.txt").write_text(seed_text(tim, language))
    documents = [Document(number, "", time_text(tim)) for number, tim in tims.items()]
    lines = (line.split(maxsplit=1) for line in (root / "queries.txt").read_text().splitlines()
             if line.strip())
    return _collection("TIME", documents, write, dict(lines), root / "qrels.trec", False)


def jsonl_collection(name: str, qrels: str, graded: bool) -> Callable[[Path], Collection]:
    """CISI, CACM, Cranfield: docs.jsonl (`id`, `title`, `text`), queries.tsv, TREC qrels."""
    def load(root: Path) -> Collection:
        documents = []
        for line in (root / "docs.jsonl").read_text().splitlines():
            doc = json.loads(line)
            if doc["title"] or doc["text"]:
                documents.append(Document(doc["id"], doc["title"], doc["text"] or doc["title"]))

        def write(folder: Path, language: str) -> None:
            with open(folder / "docs.jsonl", "w") as out:
                for d in documents:
                    out.write(json.dumps({"id": d.number, "title": d.title, "body": d.body,
                                          "language": language}) + "\n")
        lines = (line.split("\t", 1) for line in (root / "queries.tsv").read_text().splitlines()
                 if line.strip())
        return _collection(name, documents, write, dict(lines), root / qrels, graded)
    return load


COLLECTIONS = {"time": time_collection,
               "cisi": jsonl_collection("CISI", "qrels.trec", False),
               "cacm": jsonl_collection("CACM", "qrels.trec", False),
               "cranfield": jsonl_collection("Cranfield", "qrels-graded.trec", True)}


def _collection(name: str, documents: list[Document], write: Callable[[Path, str], None],
                texts: dict[str, str], qrels: Path, graded: bool) -> Collection:
    queries = {number: typed_words(text) for number, text in texts.items()}
    cut = sum(len(queries[n]) < len(_WORD.findall(t.lower())) for n, t in texts.items())
    return Collection(name, documents, write, queries, read_qrels(qrels), graded, cut)


def seed_text(tim: str, language: str) -> str:
    """A TIME article (`*TEXT <n> MM/DD/YY PAGE <p>`, then capitals in lines separated by
    blank lines) as a seed-format file: date and source headers, the text as one paragraph."""
    header = tim.partition("\n")[0]
    match = _TIME_HEADER.match(header)
    if not match:
        raise ValueError(f"not a TIME article header: {header!r}")
    month, day, year = match.groups()
    return f"date 19{year}-{month}-{day}\nsource TIME\nlanguage {language}\n\n{time_text(tim)}\n"


def time_text(tim: str) -> str:
    """The text of a TIME article, on one line."""
    return " ".join(tim.partition("\n")[2].split())


def typed_words(text: str) -> list[str]:
    """The query's words, lowercased, as many as the service accepts in one query."""
    words = _WORD.findall(text.lower())[:MAX_CLAUSES]
    while len(" ".join(words)) > MAX_QUERY_CHARS:
        words.pop()
    return words


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels `<query> 0 <doc> <grade>`: the documents judged relevant (grade > 0)."""
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            number, _, doc, grade = line.split()
            if int(grade) > 0:
                qrels.setdefault(number, {})[doc] = int(grade)
    return qrels


def average_precision(ranked: list[str], grades: dict[str, int]) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked, 1):
        if doc in grades:
            hits += 1
            total += hits / rank
    return total / len(grades)


def ndcg(ranked: list[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    dcg = sum(grades.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1))
    ideal = sum(grade / math.log2(rank + 1)
                for rank, grade in enumerate(sorted(grades.values(), reverse=True)[:k], 1))
    return dcg / ideal


def precision(ranked: list[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    return sum(doc in grades for doc in ranked[:k]) / k


@dataclass
class Run:
    """One engine on one collection: per judged query (AP, nDCG@10, P@10), and CPU seconds."""

    engine: str
    scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    index_s: float = 0.0
    query_s: float = 0.0

    def mean(self, measure: int) -> float:
        return statistics.fmean(s[measure] for s in self.scores.values())


MEASURES = ("MAP", f"nDCG@{CUTOFF}", f"P@{CUTOFF}")


def run_collection(collection: Collection, engines: list[str],
                   stemmed: bool = True) -> tuple[dict[str, Run], str]:
    """Every engine on the collection, and a line saying what was indexed."""
    runs = {}
    with tempfile.TemporaryDirectory(prefix="searchsvc-relevance-") as tmp:
        folder = Path(tmp) / collection.name.lower()
        folder.mkdir()
        collection.write(folder, "en" if stemmed else UNSTEMMED_LANGUAGE)
        held = {}
        for name in engines:
            engine, run = ENGINES[name](stemmed), Run(name)
            workdir = Path(tmp) / name
            workdir.mkdir()
            started = time.process_time()
            held[name] = engine.build(folder, collection.documents, workdir)
            run.index_s = time.process_time() - started
            started = time.process_time()
            for number, grades in collection.qrels.items():
                ranked = engine.rank(collection.queries[number], DEPTH)
                run.scores[number] = (average_precision(ranked, grades), ndcg(ranked, grades),
                                      precision(ranked, grades))
            run.query_s = time.process_time() - started
            runs[name] = run
    judged = len(collection.qrels)
    cut = f", {collection.cut} cut to the service's query limits" if collection.cut else ""
    short = "".join(f" ({name} holds {count:,})" for name, count in held.items()
                    if count != len(collection.documents))
    about = (f"{collection.name}: {len(collection.documents):,} documents{short}, "
             f"{len(collection.queries)} queries "
             f"({judged} judged{cut}), nDCG gain: "
             f"{'grade 1-4' if collection.graded else 'binary'}")
    return runs, about


def print_table(results: dict[str, dict[str, Run]], judged: dict[str, int]) -> None:
    print(f"{'collection':<10} {'engine':<10} {'MAP':>6} {MEASURES[1]:>8} {MEASURES[2]:>6} "
          f"{'queries':>7} {'index s':>8} {'query s':>8}")
    for collection, runs in results.items():
        for number, run in enumerate(runs.values()):
            print(f"{collection if number == 0 else '':<10} {run.engine:<10} {run.mean(0):>6.3f} "
                  f"{run.mean(1):>8.3f} {run.mean(2):>6.3f} {judged[collection]:>7} "
                  f"{run.index_s:>8.1f} {run.query_s:>8.1f}")


def best_peers(results: dict[str, dict[str, Run]]) -> None:
    """Per collection and measure, the best peer and whether searchsvc reaches it."""
    print("\nbest peer (MAP, nDCG@10) and searchsvc:")
    for collection, runs in results.items():
        peers = [run for name, run in runs.items() if name != "searchsvc"]
        if not peers:
            continue
        parts = []
        for measure in (0, 1):
            best = max(peers, key=lambda run: run.mean(measure))
            part = f"{MEASURES[measure]} {best.engine} {best.mean(measure):.3f}"
            if "searchsvc" in runs:
                ours = runs["searchsvc"].mean(measure)
                verdict = "reaches it" if ours >= best.mean(measure) else "below"
                part += f", searchsvc {ours:.3f} ({ours - best.mean(measure):+.3f}, {verdict})"
            parts.append(part)
        print(f"  {collection:<10} " + "; ".join(parts))


def print_per_query(collection: Collection, runs: dict[str, Run]) -> None:
    """AP and nDCG@10 of every engine per query, largest searchsvc loss against the best peer
    on AP first (query number order without searchsvc or peers)."""
    peers = [name for name in runs if name != "searchsvc"]
    compared = "searchsvc" in runs and peers

    def loss(number: str) -> float:
        return runs["searchsvc"].scores[number][0] - max(runs[p].scores[number][0] for p in peers)

    numbers = sorted(collection.qrels, key=loss if compared else lambda n: (len(n), n))
    print(f"\n{collection.name} per query: AP/nDCG@10 per engine"
          + (", dAP = searchsvc - best peer" if compared else ""))
    print(f"{'query':>5} {'rel':>4} " + " ".join(f"{name:>13}" for name in runs)
          + (f" {'dAP':>6}" if compared else "") + "  words")
    for number in numbers:
        cells = " ".join(f"{runs[n].scores[number][0]:>6.3f}/{runs[n].scores[number][1]:.3f}"
                         for n in runs)
        delta = f" {loss(number):>+6.3f}" if compared else ""
        text = " ".join(collection.queries[number])
        print(f"{number:>5} {len(collection.qrels[number]):>4} {cells}{delta}  {text[:70]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="the folder holding time/, cisi/, cacm/ and cranfield/")
    parser.add_argument("--collection", action="append", choices=COLLECTIONS,
                        help="run this collection only (repeatable; default: all)")
    parser.add_argument("--engine", action="append", choices=ENGINES,
                        help="run this engine only (repeatable; default: all)")
    parser.add_argument("--per-query", action="store_true",
                        help="also print each query's AP and nDCG@10 for every engine")
    parser.add_argument("--unstemmed", action="store_true",
                        help="index the collections as a language no engine has a stemmer "
                        "or stop words for")
    args = parser.parse_args()
    names = args.collection or list(COLLECTIONS)
    engines = args.engine or list(ENGINES)
    missing = [name for name in names if not (args.corpora / name).is_dir()]
    if missing:
        print(f"{args.corpora}: no {', '.join(missing)} folder there (the shared corpora exist "
              "only on the project's machines; --corpora DIR says where they are)",
              file=sys.stderr)
        return 2
    absent = [module for name in engines for module in ENGINES[name].modules
              if importlib.util.find_spec(module) is None]
    if absent:
        print(f"{', '.join(absent)} not installed: pip install '.[bench]', or leave the engine "
              "out with --engine", file=sys.stderr)
        return 2
    if args.unstemmed:
        print(f"unstemmed: the articles in language {UNSTEMMED_LANGUAGE!r}, the peers "
              "without stemmer or stop words")
    for name in engines:
        print(f"{name:<10} {ENGINES[name](not args.unstemmed).settings}")
    print(f"measures: trec_eval's, top {DEPTH}; times: CPU seconds of this process\n")

    results, judged = {}, {}
    for name in names:
        collection = COLLECTIONS[name](args.corpora / name)
        runs, about = run_collection(collection, engines, not args.unstemmed)
        print(about, flush=True)
        if args.per_query:
            print_per_query(collection, runs)
            print()
        results[collection.name] = runs
        judged[collection.name] = len(collection.qrels)
    print()
    print_table(results, judged)
    best_peers(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
