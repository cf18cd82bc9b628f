"""The one search function behind the page, the API and the CLI: query in, `Results` out."""

import datetime as dt
import html
import itertools
import math
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from whoosh import highlight, qparser, query, scoring, sorting
from whoosh.searching import Searcher

from .errors import ArticleNotFound, QueryError
from .indexing import IndexStore
from .schema import all_text_fields, build_schema, text_fields

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
MIN_PREFIX_CHARS = 2
MAX_EXPANSIONS = 1000
SNIPPET_CHARS = 240
SORTS = ("relevance", "newest", "oldest")
FACETS = {"source": "source_name", "language": "language", "month": "month"}


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

    def validated(self) -> "SearchRequest":
        if not self.q or not self.q.strip():
            raise QueryError("the query is empty: type one or more words")
        if len(self.q) > MAX_QUERY_CHARS:
            raise QueryError(f"the query is {len(self.q)} characters long; "
                             f"the limit is {MAX_QUERY_CHARS}")
        if "\x00" in self.q:
            raise QueryError("the query contains a NUL character")
        if self.page < 1:
            raise QueryError("page must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"results beyond the first {MAX_RESULT_WINDOW} cannot be paged to; "
                             "narrow the query or the filters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of: {', '.join(SORTS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        return self


@dataclass(frozen=True)
class Hit:
    """One result: plain-text fields, plus `title_html` and `snippet`, which are escaped HTML
    with <mark> around matched terms."""

    id: str
    title: str
    date: dt.date | None
    source: str | None
    language: str
    url: str | None
    score: float
    title_html: str
    snippet: str


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class Results:
    request: SearchRequest
    total: int
    hits: list[Hit]
    took_ms: float
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    suggestion: str | None = None

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


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps each matched term in <mark>: safe to render as HTML."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"


class _Context:
    """Per-thread state for one index generation: a Searcher and what depends on it."""

    def __init__(self, searcher: Searcher, version):
        self.searcher = searcher
        self.version = version

    @cached_property
    def text_fields(self) -> list[str]:
        indexed = set(self.searcher.reader().indexed_field_names())
        names = [name for pair in all_text_fields() for name in pair if name in indexed]
        return names or list(text_fields(None))

    @cached_property
    def parser(self) -> qparser.QueryParser:
        parser = qparser.MultifieldParser(self.text_fields, build_schema(),
                                          group=qparser.OrGroup.factory(0.9))
        parser.add_plugin(qparser.FuzzyTermPlugin())
        return parser


class SearchIndex:
    """Searches one index folder; safe to share between threads (one Searcher per thread),
    and it switches to a new index generation as soon as one is published."""

    def __init__(self, index_dir):
        self.store = IndexStore(index_dir)
        self._local = threading.local()
        self.weighting = scoring.BM25F()

    def _context(self) -> _Context:
        version = self.store.version()
        context = getattr(self._local, "context", None)
        if context is None or context.version != version:
            index = self.store.open()
            if context is not None:
                context.searcher.close()
            context = _Context(index.searcher(weighting=self.weighting), version)
            self._local.context = context
        return context

    def doc_count(self) -> int:
        return self._context().searcher.doc_count()

    def search(self, request: SearchRequest) -> Results:
        request = request.validated()
        started = time.perf_counter()
        context = self._context()
        searcher = context.searcher
        parsed = self._parse(context, request.q)
        sortedby, reverse = {"relevance": (None, False), "newest": ("date", True),
                             "oldest": ("date", False)}[request.sort]
        try:
            page = searcher.search_page(
                parsed, request.page, pagelen=request.per_page, filter=_filters(request),
                sortedby=sortedby, reverse=reverse, terms=True,
                groupedby={name: sorting.FieldFacet(column, maptype=sorting.Count)
                           for name, column in FACETS.items()})
        except ValueError as exc:
            raise QueryError(f"the query cannot be run: {exc}") from None
        results = page.results
        results.fragmenter = highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=70,
                                                          autotrim=True)
        results.fragmenter.charlimit = None
        results.formatter = MarkFormatter()
        hits = [_hit(hit, parsed) for hit in page] if request.page <= page.pagecount else []
        facets = {name: sorted((FacetCount(str(value), count)
                                for value, count in results.groups(name).items() if value),
                               key=lambda f: (-f.count, f.value))
                  for name in FACETS}
        return Results(request=request, total=len(results), hits=hits,
                       took_ms=(time.perf_counter() - started) * 1000, facets=facets,
                       suggestion=_suggestion(context, request.q))

    def article(self, article_id: str) -> StoredArticle:
        stored = self._context().searcher.document(id=article_id)
        if stored is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return _stored_article(stored)

    def _parse(self, context: _Context, text: str) -> query.Query:
        try:
            parsed = context.parser.parse(text)
        except Exception as exc:  # the parser raises assorted types on odd input
            raise QueryError(f"the query cannot be understood: {exc}") from None
        reader = context.searcher.reader()
        parsed = _stem_fuzzy_terms(parsed, reader)
        _check_expansions(parsed, reader)
        return parsed


def _filters(request: SearchRequest) -> query.Query | None:
    clauses = []
    if request.source:
        clauses.append(query.Term("source", request.source.lower()))
    if request.language:
        clauses.append(query.Term("language", request.language.lower()))
    if request.date_from or request.date_to:
        start = dt.datetime.combine(request.date_from, dt.time()) if request.date_from else None
        end = dt.datetime.combine(request.date_to, dt.time.max) if request.date_to else None
        clauses.append(query.DateRange("date", start, end))
    return query.And(clauses) if clauses else None


def _stem_fuzzy_terms(parsed: query.Query, reader) -> query.Query:
    """Whoosh matches fuzzy words against the unstemmed spelling list but looks them up in the
    stemmed field, so they never match; expand them to surface words here, then stem each."""
    if isinstance(parsed, query.FuzzyTerm):
        field = build_schema()[parsed.fieldname]
        words = itertools.islice(reader.terms_within(_spelling(parsed.fieldname),
                                                     parsed.text.lower(),
                                                     parsed.maxdist, parsed.prefixlength),
                                 MAX_EXPANSIONS + 1)
        stems = sorted({stem for word in words for stem in field.process_text(word, mode="query")})
        if len(stems) > MAX_EXPANSIONS:
            raise QueryError(f"{parsed.text!r}~ matches more than {MAX_EXPANSIONS} words; "
                             "make it more specific")
        terms = [query.Term(parsed.fieldname, stem, boost=parsed.boost) for stem in stems]
        return query.Or(terms) if terms else query.NullQuery
    if parsed.is_leaf():
        return parsed
    return parsed.apply(lambda child: _stem_fuzzy_terms(child, reader))


def _check_expansions(parsed: query.Query, reader) -> None:
    """Refuse wildcard, prefix and fuzzy terms that would expand to too many index terms."""
    for node in [parsed] if parsed.is_leaf() else parsed.leaves():
        if isinstance(node, query.Every):
            raise QueryError("a bare * would match every article; add words to search for")
        if isinstance(node, (query.Wildcard, query.Prefix)):
            stem = node.text.split("*")[0].split("?")[0]
            if len(stem) < MIN_PREFIX_CHARS:
                raise QueryError(f"wildcards need at least {MIN_PREFIX_CHARS} letters before "
                                 f"the * or ? (got {node.text!r})")
        if isinstance(node, query.MultiTerm):
            count = sum(1 for _ in itertools.islice(node._btexts(reader), MAX_EXPANSIONS + 1))
            if count > MAX_EXPANSIONS:
                raise QueryError(f"{node.text!r} matches more than {MAX_EXPANSIONS} words; "
                                 "make it more specific")


def _hit(hit, parsed: query.Query) -> Hit:
    stored = hit.fields()
    article = _stored_article(stored)
    title_field, body_field = text_fields(article.language)
    snippet = hit.highlights(body_field, text=article.body, top=2) if article.body else ""
    if not snippet:
        lead = article.body[:SNIPPET_CHARS]
        snippet = html.escape(lead[:lead.rfind(" ")] + " …" if len(article.body) > SNIPPET_CHARS
                              else lead)
    title_html = _highlight_title(hit, title_field, article.title)
    return Hit(id=article.id, title=article.title, date=article.date, source=article.source,
               language=article.language, url=article.url, score=round(hit.score or 0.0, 4),
               title_html=title_html, snippet=snippet)


def _highlight_title(hit, fieldname: str, title: str) -> str:
    words = {text for name, text in hit.matched_terms() if name == fieldname}
    if not words:
        return html.escape(title)
    analyzer = build_schema()[fieldname].analyzer
    marked = highlight.highlight(title, frozenset(w.decode("utf-8") for w in words), analyzer,
                                 highlight.WholeFragmenter(charlimit=None), MarkFormatter())
    return marked or html.escape(title)


def _suggestion(context: "_Context", text: str) -> str | None:
    """"Did you mean": the query with each unknown word replaced by the closest indexed word.

    Words are checked against the unstemmed spelling lists, so a correction is a real word."""
    reader = context.searcher.reader()
    fields = context.text_fields
    changed = False

    def correct(match: re.Match) -> str:
        nonlocal changed
        word = match.group(0)
        lowered = word.lower()
        if (len(lowered) < 3 or word in _OPERATORS or not lowered.isalpha()
                or any(_is_stopword(f, lowered) or (_spelling(f), lowered) in reader
                       for f in fields)):
            return word
        best = _closest_word(reader, [_spelling(f) for f in fields], lowered)
        if best is None:
            return word
        changed = True
        return best

    corrected = _WORD.sub(correct, text)
    return corrected if changed else None


_WORD = re.compile(r"(?<![:\w*?~])\w+(?![:\w*?~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _closest_word(reader, spelling_fields: list[str], word: str) -> str | None:
    """The most frequent indexed word at the smallest edit distance (1, then 2) from `word`."""
    for distance in (1, 2):
        candidates = {(reader.doc_frequency(f, w), w) for f in spelling_fields
                      for w in reader.terms_within(f, word, distance, prefix=1) if w != word}
        if candidates:
            return max(candidates)[1]
    return None


def _spelling(fieldname: str) -> str:
    return build_schema()[fieldname].spelling_fieldname(fieldname)


def _is_stopword(fieldname: str, word: str) -> bool:
    return not list(build_schema()[fieldname].process_text(word, mode="query", nomorph=True))


def _stored_article(stored: dict) -> StoredArticle:
    title_field, body_field = text_fields(stored.get("language"))
    date = stored.get("date")
    return StoredArticle(
        id=stored["id"], title=stored.get(title_field, ""), body=stored.get(body_field, ""),
        date=date.date() if date else None, source=stored.get("source_name"),
        language=stored.get("language", "en"), url=stored.get("url"))
