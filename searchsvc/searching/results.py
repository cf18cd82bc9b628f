"""What flows out of a search: the request as validated, hits, facet counts, results, and an
article as the article page shows it. The page, the API, the feeds and the CLI all render
these."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import QueryError

if TYPE_CHECKING:
    from .matching import Matching

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
SORTS = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for; `validated()` raises QueryError on anything out of bounds."""

    q: str
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    source: str | None = None
    language: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    story: str | None = None
    """An article's id: only the versions of its story, listed apart (what "N similar"
    opens)."""
    window: int | None = MAX_RESULT_WINDOW  # how deep pages reach (None: all, for exports)

    def validated(self, query_required: bool = True) -> "SearchRequest":
        """This request, or QueryError. `query_required=False` checks the rest of a search
        that has no query (the one an article page was opened from)."""
        if query_required and (not self.q or not self.q.strip()):
            raise QueryError("the query is empty: type one or more words")
        check_text(self.q, "query")
        if self.page < 1:
            raise QueryError("page must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.window is not None and self.page * self.per_page > self.window:
            raise QueryError(f"results beyond the first {self.window} cannot be paged to; "
                             "narrow the query or the filters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of: {', '.join(SORTS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        return self


def check_text(text: str, what: str) -> None:
    """QueryError unless `text` (a query, or what was typed so far) is within bounds."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the {what} is {len(text)} characters long; "
                         f"the limit is {MAX_QUERY_CHARS}")
    if "\x00" in text:
        raise QueryError(f"the {what} contains a NUL character")


@dataclass(frozen=True)
class Hit:
    """One result: plain-text fields, plus `title_html` and `snippet`, which are escaped HTML
    with <mark> around matched terms. `title` is the headline as stored; `display_title`
    (and `title_html`) the same in sentence case where it was written all in capitals."""

    id: str
    title: str
    date: dt.date | None
    source: str | None
    language: str
    url: str | None
    score: float
    title_html: str
    snippet: str
    similar: int = 0
    """Near-duplicate versions of this story (same source and start of text: see
    searchsvc.schema.dupkey) that also matched and were collapsed into this hit; a search
    with `story=<id>` lists them."""
    indexed: dt.datetime | None = None  # when it was added (None: by a searchsvc without it)
    display_title: str = ""


@dataclass(frozen=True)
class FacetCount:
    """How many results have a facet's value; value None counts those with none (no source,
    undated), so the counts of a facet add up to the total."""

    value: str | None
    count: int


@dataclass(frozen=True)
class Results:
    """One page of results. `total` is exact and counts results as listed: near-duplicate
    versions of a story count once (their number is each hit's `similar`), as do the facet
    counts; `total_articles` counts every matching article, versions included."""

    request: SearchRequest
    total: int
    hits: list[Hit]
    took_ms: float
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    suggestion: str | None = None
    total_articles: int = 0
    matching: "Matching | None" = None
    """For words typed side by side: how many of the listed stories hold them all, and the
    words left out when none does (date orders list only the articles holding the rest)."""
    newest: dt.date | None = None
    """The newest date among the results this search lists without its `from` and `to`:
    date presets ("past week") count back from it when the archive is older than that."""

    @property
    def pages(self) -> int:
        reachable = min(self.total, MAX_RESULT_WINDOW)
        return max(1, math.ceil(reachable / self.request.per_page))


@dataclass(frozen=True)
class StoredArticle:
    """An indexed article as the article page and API show it."""

    id: str
    title: str
    body: str
    date: dt.date | None
    source: str | None
    language: str
    url: str | None
    indexed: dt.datetime | None = None
    body_html: list[str] = field(default_factory=list)
    """One entry per paragraph: escaped HTML, with <mark> around the words of the query the
    article was asked for with (see `SearchIndex.article`)."""
    display_title: str = ""
    """The headline in sentence case where it was written all in capitals
    (searchsvc.headlines); `title` stays as stored. Set by `SearchIndex.article`."""
    title_html: str = ""
    """`display_title` escaped, with the query's words marked like `body_html`."""

    @classmethod
    def of(cls, stored, date: dt.date | None, source: str | None,
           language: str | None) -> "StoredArticle":
        """The article from what it shows (searchsvc.segments.StoredText) and its columns."""
        return cls(id=stored.id, title=stored.title, body=stored.body, date=date,
                   source=source, language=language or "und", url=stored.url,
                   indexed=dt.datetime.fromtimestamp(stored.indexed, dt.timezone.utc))
