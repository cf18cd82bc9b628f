"""A generated news archive for the scale benchmark, the same on every run: real Reuters-21578
and BBC sentences recombined into ~1 KB articles under real or spliced headlines, 44 sources,
dates 1985-2025, 5% near-duplicate wire copies, written as a JSON Lines export (one big file, as
a user brings it, or split into several), and the query list drawn from the same words.

The archive of N articles is the first N articles of any larger one (one seeded stream), so
the sizes of one run differ only in size. Generated files are cached by size, split, seed and
generator version, written under a temporary name and renamed when complete.

Usage: python bench/generate.py --size 1000000 [--files N] [--cache DIR] [--corpora DIR]
Prints the path of the export (a .jsonl file, or a folder of N of them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import html
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from workload import DEFAULT_CORPORA

VERSION = 1  # bump when the archive or the queries come out differently
SEED = 11
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "searchsvc-scale-corpus"
REQUIRED = ("reuters21578", "bbc")

SOURCES = (
    "Reuters", "Associated Press", "Agence France-Presse", "BBC News", "Bloomberg",
    "The Guardian", "The New York Times", "The Washington Post", "Financial Times",
    "The Wall Street Journal", "The Times", "The Independent", "Los Angeles Times",
    "Chicago Tribune", "The Boston Globe", "USA Today", "CNN", "NPR", "Al Jazeera English",
    "Deutsche Welle", "France 24", "The Irish Times", "The Scotsman", "Sydney Morning Herald",
    "The Age", "Toronto Star", "The Globe and Mail", "The Hindu", "Times of India",
    "South China Morning Post", "The Japan Times", "Straits Times", "Bangkok Post",
    "Mail & Guardian", "Daily Nation", "Jerusalem Post", "Gulf News", "Buenos Aires Herald",
    "Kyodo News", "Xinhua", "TASS", "Euronews", "The Economist", "Nikkei Asia",
)
"""Sources, most frequent first: the i-th is about 1/(i+3) as frequent as a flat share would
make it, as a few wires carry most of an archive."""

FIRST_DAY = dt.date(1985, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
BODY_CHARS = (600, 1400)  # each body's length is drawn from this range (mean ~1 KB)
COPY_SHARE = 0.05  # articles that are a wire copy of a recent one
OTHER_SOURCE_SHARE = 0.25  # of the copies, those syndicated under another source
RECENT = 2000  # copies are made of one of the last RECENT articles

_TICKER = re.compile(r"\s*<[^<>]*>")  # Reuters' "<DPRI.T>": markup to an export reader
_SENTENCE_END = re.compile(r"(?<=[a-z0-9%)][.!?])[\"']?\s+(?=[\"'A-Z])")
_WORD = re.compile(r"[a-z]+")
# Words nobody searches for, on top of Whoosh's stop words (which searchsvc drops).
FUNCTION_WORDS = frozenset("""
about above after again against all also although among another any because been before
being below between both but could did does doing down during each either even ever every
few further had has having her here hers him his how however into its itself just last least
less many more most much must near neither next nor now off once one only other others ought
our out over own per same said says she should since some such than that their them then
there these they those though three through thus too two under until upon very was were what
whether which while who whom whose why within without would yes
""".split()) | STOP_WORDS


@dataclass(frozen=True)
class Pool:
    """What the articles are made of: real headlines and sentences, in a fixed order."""

    headlines: tuple[str, ...]
    sentences: tuple[str, ...]


class CorporaMissing(Exception):
    """Raised when ../shared/corpora lacks the Reuters or the BBC corpus."""


@functools.cache
def read_pool(corpora: Path) -> Pool:
    """Every headline and sentence of Reuters-21578 and BBC, each once, in file order (read
    once per process: it takes seconds)."""
    missing = [name for name in REQUIRED if not (corpora / name).is_dir()]
    if missing:
        raise CorporaMissing(f"{' and '.join(missing)} not found under {corpora}: the scale "
                             "benchmark builds its archive from them (see --corpora)")
    headlines: dict[str, None] = {}
    sentences: dict[str, None] = {}
    for path in sorted((corpora / "reuters21578").glob("*.sgm")):
        for story in re.findall(r"<REUTERS.*?</REUTERS>", _read(path), re.S):
            title = re.search(r"<TITLE>(.*?)</TITLE>", story, re.S)
            body = re.search(r"<BODY>(.*?)</BODY>", story, re.S)
            if not (title and body):
                continue
            headline = " ".join(_TICKER.sub("", html.unescape(title.group(1))).split())
            headlines[headline[:1] + headline[1:].lower()] = None
            text = re.sub(r"\s*Reuter\s*\x03?\s*$", "", _TICKER.sub("", html.unescape(body.group(1))))
            sentences.update(dict.fromkeys(_sentences(text)))
    for path in sorted((corpora / "bbc").glob("*/*.txt")):
        headline, _, text = _read(path).strip().partition("\n")
        headlines[" ".join(headline.split())] = None
        sentences.update(dict.fromkeys(_sentences(text)))
    return Pool(tuple(h for h in headlines if 10 <= len(h) <= 120 and "<" not in h),
                tuple(sentences))


def _read(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sentences(text: str) -> list[str]:
    """The whole sentences of a text worth reusing: 30-400 characters, 5 words or more, not
    shouted (Reuters tables and all-capitals wires are left out), no angle brackets (a body
    holding them is read as HTML)."""
    found = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        letters = [c for c in sentence if c.isalpha()]
        if (30 <= len(sentence) <= 400 and sentence.count(" ") >= 4 and sentence[-1] in ".!?\"'"
                and sum(c.isupper() for c in letters) < 0.3 * len(letters)
                and "<" not in sentence and ">" not in sentence):
            found.append(sentence)
    return found


def articles(pool: Pool, count: int, seed: int = SEED):
    """The archive's first `count` articles as JSON objects (dicts), the same for a seed."""
    rng = random.Random(seed)
    draw = rng.random
    headlines, sentences = pool.headlines, pool.sentences
    n_sentences = len(sentences)
    weights = [1 / (i + 3) for i in range(len(SOURCES))]
    total = sum(weights)
    cumulative, running = [], 0.0
    for weight in weights:
        running += weight / total
        cumulative.append(running)
    slugs = [re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") for s in SOURCES]
    days = (LAST_DAY - FIRST_DAY).days + 1
    low, span = BODY_CHARS[0], BODY_CHARS[1] - BODY_CHARS[0]
    recent: list[dict] = []
    for number in range(1, count + 1):
        if recent and draw() < COPY_SHARE:
            article = _copy(recent[int(draw() * len(recent))], draw, sentences, cumulative)
        else:
            source = _pick(cumulative, draw())
            day = FIRST_DAY + dt.timedelta(days=int(draw() * days))
            target = low + int(draw() * span)
            parts, length = [], 0
            while length < target:
                sentence = sentences[int(draw() * n_sentences)]
                parts.append(sentence)
                length += len(sentence) + 1
            article = {"title": _headline(headlines, draw), "sentences": parts,
                       "source": source, "day": day}
        if len(recent) < RECENT:
            recent.append(article)
        else:
            recent[number % RECENT] = article
        day = article["day"]
        slug = slugs[article["source"]]
        yield {"id": f"n{number:07d}", "title": article["title"],
               "date": day.isoformat(), "source": SOURCES[article["source"]],
               "url": f"https://{slug}.example/{day:%Y/%m/%d}/{number:07d}",
               "language": "en", "body": _paragraphs(article["sentences"])}


def _headline(headlines: tuple[str, ...], draw) -> str:
    """A real headline one time in three; otherwise the first half of one spliced to the
    second half of another, so that a million articles do not share twenty thousand titles."""
    first = headlines[int(draw() * len(headlines))]
    if draw() < 1 / 3:
        return first
    words = first.split()
    other = headlines[int(draw() * len(headlines))].split()
    return " ".join(words[:max(1, len(words) // 2)] + other[len(other) // 2:])


def _copy(original: dict, draw, sentences: tuple[str, ...], cumulative: list[float]) -> dict:
    """A wire copy: same headline and lead, filed the same day or the next, its tail edited
    (a sentence dropped or added); now and then under another source."""
    parts = list(original["sentences"])
    if len(parts) > 2 and draw() < 0.5:
        parts.pop()
    else:
        parts.append(sentences[int(draw() * len(sentences))])
    source = _pick(cumulative, draw()) if draw() < OTHER_SOURCE_SHARE else original["source"]
    return {"title": original["title"], "sentences": parts, "source": source,
            "day": min(original["day"] + dt.timedelta(days=int(draw() * 2)), LAST_DAY)}


def _pick(cumulative: list[float], value: float) -> int:
    for index, bound in enumerate(cumulative):
        if value < bound:
            return index
    return len(cumulative) - 1


def _paragraphs(sentences: list[str]) -> str:
    """Sentences as paragraphs of two or three, the lead alone, as news copy is laid out."""
    out = [sentences[0]]
    for start in range(1, len(sentences), 3):
        out.append(" ".join(sentences[start:start + 3]))
    return "\n\n".join(out)


# The export on disk ----------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A generated archive on disk: `path` is what `searchsvc index` is given."""

    articles: int
    path: Path
    bytes: int
    generated_s: float | None  # None: found in the cache


def export_path(cache: Path, size: int, files: int, seed: int = SEED) -> Path:
    name = f"news-{size}-seed{seed}-v{VERSION}"
    return cache / (f"{name}.jsonl" if files == 1 else f"{name}-{files}files")


def exports(sizes: list[int], cache: Path, corpora: Path, files: int = 1, seed: int = SEED,
            log=print) -> dict[int, Export]:
    """The export of each size, generated (in one pass over the largest missing size) unless
    the cache already holds it."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = sorted(s for s in sizes if not export_path(cache, s, files, seed).exists())
    generated_s = None
    if missing:
        started = time.perf_counter()
        pool = read_pool(corpora)
        log(f"generating {', '.join(f'{s:,}' for s in missing)} articles into {cache} "
            f"({len(pool.headlines):,} headlines, {len(pool.sentences):,} sentences)")
        _write(pool, missing, cache, files, seed)
        generated_s = time.perf_counter() - started
    found = {}
    for size in sizes:
        path = export_path(cache, size, files, seed)
        parts = [path] if path.is_file() else sorted(path.glob("*.jsonl"))
        found[size] = Export(size, path, sum(p.stat().st_size for p in parts),
                             generated_s if size in missing else None)
    return found


def _write(pool: Pool, sizes: list[int], cache: Path, files: int, seed: int) -> None:
    """One pass over the largest size; each article line goes to every export it belongs to
    (the part of a split export is chosen by position, so parts hold consecutive articles)."""
    outputs = []
    for size in sizes:
        final = export_path(cache, size, files, seed)
        temporary = final.with_name(final.name + ".partial")
        if files == 1:
            outputs.append((size, final, temporary, [temporary.open("w", encoding="utf-8")]))
        else:
            temporary.mkdir(exist_ok=True)
            outputs.append((size, final, temporary, [
                (temporary / f"part-{n:04d}.jsonl").open("w", encoding="utf-8")
                for n in range(1, files + 1)]))
    try:
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for position, article in enumerate(articles(pool, max(sizes), seed)):
            line = dumps(article) + "\n"
            for size, _, _, handles in outputs:
                if position < size:
                    handles[position * len(handles) // size].write(line)
    finally:
        for _, _, _, handles in outputs:
            for handle in handles:
                handle.close()
    for _, final, temporary, _ in outputs:
        temporary.rename(final)


# Queries ---------------------------------------------------------------------------------


def queries(pool: Pool, count: int, seed: int = SEED) -> list[str]:
    """`count` queries of 1-7 words in searchsvc's syntax, as people type them: common words
    (the 300 most frequent that are not stop words), middling ones (ranks 300-5,000), rare
    ones (found 3-30 times in the sentences), and now and then a quoted phrase of two or
    three words that follow each other in a sentence."""
    rng = random.Random(seed * 1000 + count)
    bands = _bands(pool)
    out: list[str] = []
    while len(out) < count:
        length = rng.choice((1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7))
        terms: list[str] = []
        if length >= 2 and rng.random() < 0.3:
            phrase = _phrase(pool, rng, min(length, 3))
            if phrase:
                terms.append('"' + " ".join(phrase) + '"')
                length -= len(phrase)
        for _ in range(length):
            band = bands[rng.choices((0, 1, 2), weights=(4, 4, 2))[0]]
            terms.append(band[rng.randrange(len(band))])
        query = " ".join(terms)
        if query not in out:
            out.append(query)
    return out


@functools.cache
def _bands(pool: Pool) -> tuple[list[str], list[str], list[str]]:
    """The pool's words by frequency: common, middling, rare."""
    counts = Counter(w for s in pool.sentences for w in _WORD.findall(s.lower())
                     if len(w) >= 3 and w not in FUNCTION_WORDS)
    ranked = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return (ranked[:300], ranked[300:5000],
            sorted(w for w, n in counts.items() if 3 <= n <= 30))


def _phrase(pool: Pool, rng: random.Random, length: int) -> list[str] | None:
    words = _WORD.findall(pool.sentences[rng.randrange(len(pool.sentences))].lower())
    runs = [words[i:i + length] for i in range(len(words) - length + 1)
            if all(len(w) >= 3 and w not in FUNCTION_WORDS for w in words[i:i + length])]
    return rng.choice(runs) if runs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="articles")
    parser.add_argument("--files", type=int, default=1,
                        help="split the export into this many .jsonl files (default: one)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="folder of generated exports (default: %(default)s)")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA,
                        help="folder holding reuters21578/ and bbc/ (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        found = exports([args.size], args.cache, args.corpora, args.files,
                        log=lambda m: print(m, file=sys.stderr))[args.size]
    except CorporaMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    how = "cached" if found.generated_s is None else f"generated in {found.generated_s:.1f} s"
    print(f"{found.articles:,} articles, {found.bytes / 2**20:,.0f} MiB ({how})",
          file=sys.stderr)
    print(found.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
