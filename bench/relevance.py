"""Relevance of the served search defaults on the TIME test collection.

Indexes the 423 TIME articles with the project's own reading and indexing (each converted to a
seed-format file in a temporary folder), runs the 83 queries through `SearchIndex.search` with
exactly the defaults the service uses (queries as a user would type them: plain lowercase
words), and scores the top 1000 against `qrels.trec` with the standard definitions (binary
relevance): MAP, nDCG@10 and P@10. Judged documents that do not exist (424, 425) count as
relevant and unfound, as trec_eval counts them.

Usage: python bench/relevance.py [--corpus DIR] [--per-query]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from searchsvc.indexing import update_index  # noqa: E402
from searchsvc.searching import MAX_PER_PAGE, SearchIndex, SearchRequest  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "time"
DEPTH = 1000
_HEADER = re.compile(r"^\*TEXT\s+\d+\s+(\d\d)[/ ](\d\d)[/ ](\d\d)\s+PAGE\s+\d+\s*$")


def seed_text(tim: str) -> str:
    """A TIME article (`*TEXT <n> MM/DD/YY PAGE <p>`, then capitals in lines separated by
    blank lines) as a seed-format file: date and source headers, the text as one paragraph."""
    header, _, text = tim.partition("\n")
    match = _HEADER.match(header)
    if not match:
        raise ValueError(f"not a TIME article header: {header!r}")
    month, day, year = match.groups()
    body = " ".join(text.split())
    return f"date 19{year}-{month}-{day}\nsource TIME\nlanguage en\n\n{body}\n"


def read_queries(path: Path) -> dict[str, str]:
    queries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            number, text = line.split(maxsplit=1)
            queries[number] = " ".join(text.split()).lower()
    return queries


def read_qrels(path: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text().splitlines():
        if line.strip():
            number, _, doc, grade = line.split()
            if int(grade) > 0:
                relevant[number].add(doc)
    return relevant


def ranking(index: SearchIndex, text: str) -> list[str]:
    """The document numbers the service lists for `text`, best first, to DEPTH."""
    found: list[str] = []
    for page in range(1, DEPTH // MAX_PER_PAGE + 1):
        results = index.search(SearchRequest(q=text, page=page, per_page=MAX_PER_PAGE))
        found += [Path(hit.id).stem for hit in results.hits]
        if len(results.hits) < MAX_PER_PAGE:
            break
    return found[:DEPTH]


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked, 1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1)
              if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def precision_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    return sum(1 for doc in ranked[:k] if doc in relevant) / k


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="the TIME collection folder (docs/, queries.txt, qrels.trec)")
    parser.add_argument("--per-query", action="store_true",
                        help="also print each query's AP, nDCG@10 and P@10")
    args = parser.parse_args()
    if not (args.corpus / "qrels.trec").is_file():
        print(f"{args.corpus}: no TIME collection there (docs/, queries.txt, qrels.trec)",
              file=sys.stderr)
        return 2

    queries = read_queries(args.corpus / "queries.txt")
    qrels = read_qrels(args.corpus / "qrels.trec")
    with tempfile.TemporaryDirectory(prefix="searchsvc-relevance-") as tmp:
        articles = Path(tmp) / "time"
        articles.mkdir()
        for path in (args.corpus / "docs").glob("*.tim"):
            text = path.read_text(encoding="ascii", errors="replace")
            (articles / f"{path.stem}.txt").write_text(seed_text(text))
        started = time.perf_counter()
        report = update_index(Path(tmp) / "index", [articles], progress=False)
        indexed_s = time.perf_counter() - started
        index = SearchIndex(Path(tmp) / "index")

        scores = {}
        started = time.perf_counter()
        for number, text in queries.items():
            ranked = ranking(index, text)
            relevant = qrels[number]
            scores[number] = (average_precision(ranked, relevant), ndcg_at(ranked, relevant),
                              precision_at(ranked, relevant))
        searched_s = time.perf_counter() - started

    if args.per_query:
        for number, (ap, ndcg, p10) in scores.items():
            print(f"query {number:>3}  AP {ap:.3f}  nDCG@10 {ndcg:.3f}  P@10 {p10:.2f}  "
                  f"{queries[number][:60]}")
    columns = list(zip(*scores.values()))
    print(f"TIME: {report.articles_total} articles indexed in {indexed_s:.1f} s, "
          f"{len(queries)} queries in {searched_s:.1f} s (top {DEPTH} each)")
    print(f"MAP      {statistics.fmean(columns[0]):.3f}")
    print(f"nDCG@10  {statistics.fmean(columns[1]):.3f}")
    print(f"P@10     {statistics.fmean(columns[2]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
