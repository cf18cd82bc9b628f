"""Benchmark extract_html against trafilatura and readability-lxml on every page set we have.

Sets (read from ../shared/corpora, each skipped when absent):
- article-extraction: 181 news and blog pages with hand-made bodies (the set the extractor
  was first built with). Date truth: the date in the page's URL, for the 45 URLs that hold one.
- readability-news: 40 news pages in 8 languages; truth is Readability.js's expected output
  (body, title, publishedTime for 13 pages), so its body F1 leans towards readability.
- cleaneval: 739 scorable CleanEval 2007 pages (blogs, forums, shops, essays) with
  hand-cleaned text; body only.

Body F1 is scrapinghub/article-extraction-benchmark's: word 4-gram shingles per page,
precision and recall averaged over pages, F1 from the two means. Headline accuracy compares
squashed text (case, spacing and punctuation ignored); date accuracy compares calendar days.
Every engine reads the page text as searchsvc decodes it (declared charset, UTF-8, else
Windows-1252), so encoding guesses do not decide the comparison. Times are CPU milliseconds
per page (this process, decoding included), so a busy machine skews them less.

Usage: python bench/extraction.py [--corpora DIR] [--sets NAME,...] [--engines NAME,...]
                                  [--worst N]
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import logging
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bs4 import BeautifulSoup  # noqa: E402

from searchsvc.articles.html import decode_html, extract_html  # noqa: E402

DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
# Upstream tokenises with \w+ and keeps case (its IGNORECASE flag changes nothing).
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    """One page and what a reader would take from it (None where the set has no truth)."""

    key: str
    url: str
    html: bytes
    body: str | None
    title: str | None = None
    date: datetime.date | None = None


@dataclass(frozen=True)
class Extracted:
    """What an engine took from a page."""

    body: str
    title: str
    date: datetime.date | None


@dataclass
class Scores:
    """One engine on one set: body F1 (shingles), headline and date accuracy, CPU time."""

    precision: float | None
    recall: float | None
    f1: float | None
    headline: float | None
    date: float | None
    ms_per_page: float
    per_page: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    misses: dict[str, list[tuple[str, object, object]]] = field(default_factory=dict)


# --- Page sets -------------------------------------------------------------------------------

_URL_DATE = re.compile(r"/((?:19|20)\d\d)([/-])(\d\d)\2(\d\d)(?=[/._-]|$)")


def load_article_extraction(folder: Path) -> list[Page]:
    """scrapinghub's benchmark: hand-made bodies; dates from the URLs that spell one out."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in sorted(truth.items()):
        url = item.get("url", "")
        match = _URL_DATE.search(url)
        date = _date(int(match[1]), int(match[3]), int(match[4])) if match else None
        pages.append(Page(key, url, gzip.decompress((folder / "html" / f"{key}.html.gz")
                                                    .read_bytes()),
                          item.get("articleBody", ""), date=date))
    return pages


# Readability's expected title keeps what follows a separator on these pages: the site's name
# (or the author's); the truth here is the headline the page shows in its <h1> (youth: in its
# title block, the page having no <h1>).
_HEADLINES_SHOWN = {
    "breitbart": "'Neutral' Snopes Fact-Checker David Emery: 'Are There Any Un-Angry Trump "
                 "Supporters?'",
    "gmw": "宇航员在太空中喝酒会怎么样？后果很严重",
    "guardian-1": "'What is the sea telling us?': Māori tribes fearful over whale strandings",
    "qq": "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶",
    "yahoo-4": "トレンドマイクロ、公衆無線LANを安全に使うためのアプリ「フリーWi-Fiプロテクション」",
    "youth": "海外留学生看两会：出国前后关注点大不同",
}


def load_readability_news(folder: Path) -> list[Page]:
    """Mozilla Readability's news test pages: its expected body, title and publishedTime."""
    pages = []
    for case in sorted(p for p in (folder / "test-pages").iterdir() if p.is_dir()):
        meta = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        expected = (case / "expected.html").read_text(encoding="utf-8")
        published = meta.get("publishedTime") or ""
        match = re.match(r"(\d{4})-(\d\d)-(\d\d)", published)
        pages.append(Page(case.name, "", (case / "source.html").read_bytes(),
                          BeautifulSoup(expected, "lxml").get_text(" "),
                          _HEADLINES_SHOWN.get(case.name, meta.get("title") or None),
                          _date(*map(int, match.groups())) if match else None))
    return pages


_CLEANEVAL_WRAPPER = re.compile(rb"\A\s*<text\b[^>]*>|</text>\s*\Z")
_CLEANEVAL_MARKER = re.compile(r"^\s*<(?:p|h|l|)>", re.MULTILINE)
_CLEANEVAL_URL_LINE = re.compile(r"\A\s*URL:[ \t]*(?:\S+)?[ \t]*\n(?:[ \t]*https?://\S+[ \t]*\n)?")


def load_cleaneval(folder: Path) -> list[Page]:
    """CleanEval 2007 (English): hand-cleaned text for 739 pages; the crawl's wrapper is cut."""
    pages = []
    for row in (folder / "pages.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        split, number, url, *_ = row.split("\t")
        truth_path = folder / "truth" / split / f"{number}.txt"
        if not truth_path.is_file():
            continue
        html = gzip.decompress((folder / "html" / split / f"{number}.html.gz").read_bytes())
        raw = truth_path.read_bytes()
        try:
            truth = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            truth = raw.decode("cp1252", errors="replace")
        truth = _CLEANEVAL_MARKER.sub(" ", _CLEANEVAL_URL_LINE.sub("", truth))
        pages.append(Page(f"{split}/{number}", url, _CLEANEVAL_WRAPPER.sub(b"", html), truth))
    return pages


SETS: dict[str, tuple[str, Callable[[Path], list[Page]]]] = {
    "article-extraction": ("ground-truth.json", load_article_extraction),
    "readability-news": ("test-pages", load_readability_news),
    "cleaneval": ("pages.tsv", load_cleaneval),
}


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


# --- Engines ---------------------------------------------------------------------------------

def searchsvc_engine(html: bytes) -> Extracted:
    """extract_html; a page it rejects yields nothing."""
    try:
        page = extract_html(html)
    except ValueError:
        return Extracted("", "", None)
    return Extracted(page.body, page.title, page.date)


def trafilatura_engine(html: bytes) -> Extracted:
    """trafilatura's defaults for text and metadata, comments left out."""
    import trafilatura

    document = trafilatura.bare_extraction(decode_html(html), include_comments=False,
                                           with_metadata=True)
    if document is None:
        return Extracted("", "", None)
    return Extracted(document.text or "", document.title or "", _iso_date(document.date))


def readability_engine(html: bytes) -> Extracted:
    """readability-lxml: summary() for the body, short_title() for the headline; no dates."""
    from readability import Document
    from readability.readability import Unparseable

    # It logs a traceback for every page it cannot parse; the empty result says enough.
    logging.getLogger("readability.readability").setLevel(logging.CRITICAL)

    document = Document(decode_html(html))
    try:
        summary = document.summary(html_partial=True)
        title = document.short_title()
    except Unparseable:
        return Extracted("", "", None)
    return Extracted(BeautifulSoup(summary, "lxml").get_text(" "), title, None)


def get_text_engine(html: bytes) -> Extracted:
    """Upstream's baseline, to check the metric: all the text (published F1 0.665)."""
    text = BeautifulSoup(html.decode("utf-8", errors="replace"), "html.parser")
    return Extracted(text.get_text(separator=" ", strip=True), "", None)


ENGINES: dict[str, Callable[[bytes], Extracted]] = {
    "searchsvc": searchsvc_engine,
    "trafilatura": trafilatura_engine,
    "readability": readability_engine,
    "get_text": get_text_engine,
}
DEFAULT_ENGINES = ("searchsvc", "trafilatura", "readability")
# Engines that find no dates get a dash, not a zero.
_DATELESS = {"readability", "get_text"}


def _iso_date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


# --- Scores ----------------------------------------------------------------------------------

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


def page_f1(matching: tuple[float, float, float]) -> float:
    p, r = precision_score(*matching), recall_score(*matching)
    return 2 * p * r / (p + r) if p + r else 0.0


def squash(text: str) -> str:
    """Headline text compared loosely: letters and digits only, case and width folded."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def evaluate(pages: list[Page], engine: str) -> Scores:
    """Run one engine over the pages and score what it found against the truth there is."""
    extract = ENGINES[engine]
    found: dict[str, Extracted] = {}
    started = time.process_time()
    for page in pages:
        found[page.key] = extract(page.html)
    seconds = time.process_time() - started
    per_page = {page.key: shingle_matching(page.body, found[page.key].body)
                for page in pages if page.body is not None}
    scores = Scores(None, None, None, None, None, seconds * 1000 / len(pages), per_page)
    if per_page:
        # As upstream: a page enters the precision mean only if something was predicted,
        # and the recall mean only if something was expected.
        predicted = [precision_score(*m) for m in per_page.values() if m[0] + m[1] > 0]
        expected = [recall_score(*m) for m in per_page.values() if m[0] + m[2] > 0]
        scores.precision = statistics.mean(predicted) if predicted else 0.0
        scores.recall = statistics.mean(expected) if expected else 0.0
        total = scores.precision + scores.recall
        scores.f1 = 2 * scores.precision * scores.recall / total if total else 0.0
    titled = [page for page in pages if page.title]
    if titled:
        misses = [(page.key, page.title, found[page.key].title) for page in titled
                  if squash(found[page.key].title) != squash(page.title)]
        scores.headline = 1 - len(misses) / len(titled)
        scores.misses["headline"] = misses
    dated = [page for page in pages if page.date]
    if dated and engine not in _DATELESS:
        misses = [(page.key, page.date, found[page.key].date) for page in dated
                  if found[page.key].date != page.date]
        scores.date = 1 - len(misses) / len(dated)
        scores.misses["date"] = misses
    return scores


# --- Report ----------------------------------------------------------------------------------

def table(results: dict[str, dict[str, Scores]], sizes: dict[str, str]) -> Iterator[str]:
    """A Markdown table: one row per set and engine."""
    yield "| set | engine | body F1 | precision | recall | headline | date | ms/page (CPU) |"
    yield "| --- | --- | --- | --- | --- | --- | --- | --- |"
    for name, by_engine in results.items():
        for engine, s in by_engine.items():
            yield (f"| {name} ({sizes[name]}) | {engine} | {_figure(s.f1)} | "
                   f"{_figure(s.precision)} | {_figure(s.recall)} | {_figure(s.headline, 2)} | "
                   f"{_figure(s.date, 2)} | {s.ms_per_page:.1f} |")


def _figure(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _sizes(pages: list[Page]) -> str:
    parts = [f"{sum(p.body is not None for p in pages)} bodies"]
    if any(p.title for p in pages):
        parts.append(f"{sum(bool(p.title) for p in pages)} headlines")
    if any(p.date for p in pages):
        parts.append(f"{sum(bool(p.date) for p in pages)} dates")
    return ", ".join(parts)


def report_worst(pages: list[Page], scores: Scores, count: int) -> None:
    """The pages with the lowest body F1, and the headline and date misses."""
    urls = {page.key: page.url for page in pages}
    for key in sorted(scores.per_page, key=lambda k: page_f1(scores.per_page[k]))[:count]:
        m = scores.per_page[key]
        print(f"  F1={page_f1(m):.2f} P={precision_score(*m):.2f} R={recall_score(*m):.2f}  "
              f"{key[:16]}  {urls[key]}")
    for kind, misses in scores.misses.items():
        for key, expected, got in misses[:count]:
            print(f"  {kind} {key[:16]}: expected {expected!r}, got {got!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="folder holding the page sets (default: %(default)s)")
    parser.add_argument("--sets", default=",".join(SETS),
                        help="comma-separated sets to run (default: %(default)s)")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated engines among {', '.join(ENGINES)} "
                             "(default: %(default)s)")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="also list searchsvc's N worst pages and its misses per set")
    args = parser.parse_args(argv)
    names, engines = args.sets.split(","), args.engines.split(",")
    unknown = [n for n in names if n not in SETS] + [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown set or engine: {', '.join(unknown)}")
    results: dict[str, dict[str, Scores]] = {}
    sizes: dict[str, str] = {}
    for name in names:
        marker, load = SETS[name]
        folder = args.corpora / name
        if not (folder / marker).exists():
            print(f"skipped {name}: {folder / marker} not found (see --corpora)", file=sys.stderr)
            continue
        pages = load(folder)
        sizes[name] = _sizes(pages)
        results[name] = {engine: evaluate(pages, engine) for engine in engines}
        print(f"{name}: {len(pages)} pages", file=sys.stderr, flush=True)
        if args.worst and "searchsvc" in results[name]:
            report_worst(pages, results[name]["searchsvc"], args.worst)
    if not results:
        print("error: no page set found; pass --corpora DIR", file=sys.stderr)
        return 2
    print("\n".join(table(results, sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
