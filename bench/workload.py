"""The benchmark's workload: the corpora, the query list, and the queries as the reference
engines (SQLite FTS5, tantivy) take them.

A query line of bench/queries.txt is `query | key=value ...`; the parameters are the API's
(sort, source, language, from, to). The query text uses searchsvc's (Whoosh's) syntax: words
(any of them, best matches first), "phrases", field:word, AND / OR / NOT, parentheses, word*
and word~. `parse` turns it into a small tree that each reference engine renders in its own
query language, so all engines answer the same question.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from whoosh.analysis import STOP_WORDS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
QUERIES_FILE = Path(__file__).resolve().parent / "queries.txt"
# Reuters-21578 ships category lists and a README as .txt files beside the stories.
REUTERS_EXCLUDES = ("*.txt", "*.dtd")
COPIES = 5


@dataclass(frozen=True)
class Corpus:
    """A folder of articles as `searchsvc index` is pointed at it."""

    name: str
    roots: tuple[Path, ...]
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """One line of the query file."""

    text: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def args(self) -> dict[str, str]:
        """The request parameters, as /api/search takes them."""
        return {"q": self.text, **self.params}

    @property
    def query_string(self) -> str:
        return urlencode(self.args)

    @property
    def date_from(self) -> dt.date | None:
        return dt.date.fromisoformat(self.params["from"]) if "from" in self.params else None

    @property
    def date_to(self) -> dt.date | None:
        return dt.date.fromisoformat(self.params["to"]) if "to" in self.params else None

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.text} | {extra}" if extra else self.text


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def load_queries(path: Path = QUERIES_FILE) -> list[Query]:
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        text, _, extra = line.partition(" | ")
        params = dict(item.split("=", 1) for item in extra.split())
        queries.append(Query(text.strip(), params))
    return queries


def corpora(base: Path, scratch: Path, copies: int = COPIES,
            with_copies: bool = True) -> list[Corpus]:
    """BBC, Reuters, and Reuters ×`copies`: the Reuters files linked `copies` times under
    copy-1/, copy-2/, ... of a folder in `scratch`, so every story comes back under new ids."""
    reuters = base / "reuters21578"
    found = [Corpus("bbc", (base / "bbc",)), Corpus("reuters", (reuters,), REUTERS_EXCLUDES)]
    if with_copies:
        folder = scratch / f"reuters-x{copies}"
        for number in range(1, copies + 1):
            copy = folder / f"copy-{number}"
            copy.mkdir(parents=True)
            for path in sorted(reuters.glob("*.sgm")):
                os.symlink(path, copy / path.name)
        found.append(Corpus(f"reuters-x{copies}", (folder,), REUTERS_EXCLUDES))
    return found


# The query tree the reference engines render -------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None
    kind: str = "term"  # "term", "prefix" (word*), "fuzzy" (word~)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Any_:
    """Any of the parts; more matching parts rank higher."""

    parts: tuple


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


_TOKENS = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')


def parse(text: str):
    """The query tree of searchsvc query text; English stop words are dropped from plain word
    lists (FTS5 and tantivy index them, searchsvc does not), which only ever makes the
    reference engines' work smaller."""
    tokens = _TOKENS.findall(text)
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else None

    def take():
        nonlocal position
        position += 1
        return tokens[position - 1]

    def any_of():
        parts = [all_of()]
        while peek() not in (None, ")"):
            if peek() == "OR":
                take()
            parts.append(all_of())
        parts = [p for p in parts if p is not None]
        return parts[0] if len(parts) == 1 else Any_(tuple(parts)) if parts else None

    def all_of():
        parts = [unary()]
        while peek() == "AND":
            take()
            parts.append(unary())
        parts = [p for p in parts if p is not None]
        return parts[0] if len(parts) == 1 else All(tuple(parts)) if parts else None

    def unary():
        if peek() == "NOT":
            take()
            return Not(unary())
        token = take()
        if token == "(":
            inner = any_of()
            if peek() == ")":
                take()
            return inner
        return atom(token)

    return any_of()


def atom(token: str):
    fieldname = None
    if ":" in token and not token.startswith('"'):
        fieldname, token = token.split(":", 1)
    if token.startswith('"'):
        words = tuple(re.findall(r"\w+", token.lower()))
        return Phrase(words, fieldname) if len(words) > 1 else Word(words[0], fieldname)
    kind = "prefix" if token.endswith("*") else "fuzzy" if token.endswith("~") else "term"
    word = token.rstrip("*~").lower()
    if kind == "term" and fieldname is None and word in STOP_WORDS:
        return None
    return Word(re.sub(r"\W", "", word), fieldname, kind)
