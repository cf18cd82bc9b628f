"""Benchmark extract_html on the article-extraction corpus (181 pages with hand-made bodies).

Scores like scrapinghub/article-extraction-benchmark's evaluate.py: word 4-gram
shingles per page, precision and recall averaged over pages, F1 from the two
means. Also scores bare BeautifulSoup get_text() as a baseline to validate the
metric (published: 0.665).

Usage: python bench/extraction.py [--corpus DIR] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bs4 import BeautifulSoup  # noqa: E402

from searchsvc.articles.html import extract_html  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "article-extraction"
# Upstream tokenises with \w+ and keeps case (its IGNORECASE flag changes nothing).
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: bytes
    truth: str


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    seconds_per_page: float
    per_page: dict[str, tuple[float, float, float]]


def load_corpus(corpus: Path) -> list[Page]:
    """The corpus pages with their expected article bodies."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [Page(key, item.get("url", ""),
                 gzip.decompress((corpus / "html" / f"{key}.html.gz").read_bytes()),
                 item.get("articleBody", ""))
            for key, item in sorted(truth.items())]


def shingle_counts(text: str, n: int = 4) -> Counter:
    """Multiset of n-word shingles; a text shorter than n words is one shingle."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def shingle_matching(truth: str, prediction: str) -> tuple[float, float, float]:
    """Per-page (tp, fp, fn) over shingles, normalised to sum to 1 as upstream does."""
    true_counts, pred_counts = shingle_counts(truth), shingle_counts(prediction)
    tp = sum((true_counts & pred_counts).values())
    fp = sum((pred_counts - true_counts).values())
    fn = sum((true_counts - pred_counts).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def recall_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def evaluate(pages: list[Page], extract: Callable[[bytes], str]) -> Scores:
    """Run one extractor over the pages; pages with no prediction count as empty."""
    per_page = {}
    started = time.perf_counter()
    for page in pages:
        per_page[page.key] = shingle_matching(page.truth, extract(page.html))
    elapsed = time.perf_counter() - started
    # As upstream: a page enters the precision mean only if something was
    # predicted, and the recall mean only if something was expected.
    precision = statistics.mean(precision_score(*m) for m in per_page.values() if m[0] + m[1] > 0)
    recall = statistics.mean(recall_score(*m) for m in per_page.values() if m[0] + m[2] > 0)
    f1 = 2 * precision * recall / (precision + recall)
    return Scores(precision, recall, f1, elapsed / len(pages), per_page)


def extract_body(html: bytes) -> str:
    """The extractor under test; a page it rejects yields an empty prediction."""
    try:
        return extract_html(html).body
    except ValueError:
        return ""


def baseline_get_text(html: bytes) -> str:
    """Upstream's baseline: all text of the page via BeautifulSoup's html.parser."""
    return BeautifulSoup(html.decode("utf-8"), "html.parser").get_text(separator=" ", strip=True)


def report(name: str, scores: Scores) -> None:
    print(f"{name:<24} precision={scores.precision:.3f}  recall={scores.recall:.3f}  "
          f"F1={scores.f1:.3f}  {scores.seconds_per_page * 1000:.1f} ms/page")


def report_worst(pages: list[Page], scores: Scores, count: int) -> None:
    """List the pages with the lowest per-page F1, to find what to improve."""
    urls = {page.key: page.url for page in pages}

    def page_f1(key: str) -> tuple[float, float, float]:
        p, r = precision_score(*scores.per_page[key]), recall_score(*scores.per_page[key])
        return (2 * p * r / (p + r) if p + r else 0.0), p, r

    for key in sorted(scores.per_page, key=page_f1)[:count]:
        f1, p, r = page_f1(key)
        print(f"  F1={f1:.2f} P={p:.2f} R={r:.2f}  {key[:12]}  {urls[key]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder holding ground-truth.json and html/ (default: %(default)s)")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="also list the N pages extract_html scores worst on")
    parser.add_argument("--no-baseline", action="store_true", help="skip the get_text() baseline")
    args = parser.parse_args(argv)
    if not (args.corpus / "ground-truth.json").is_file():
        print(f"error: article-extraction corpus not found at {args.corpus} "
              "(expected ground-truth.json and html/*.html.gz; see --corpus)", file=sys.stderr)
        return 2
    pages = load_corpus(args.corpus)
    print(f"{len(pages)} pages from {args.corpus}")
    scores = evaluate(pages, extract_body)
    report("searchsvc extract_html", scores)
    if not args.no_baseline:
        report("BeautifulSoup get_text", evaluate(pages, baseline_get_text))
    print("published on these pages: get_text F1 0.665, readability-lxml 0.922, trafilatura 0.958")
    if args.worst:
        report_worst(pages, scores, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
