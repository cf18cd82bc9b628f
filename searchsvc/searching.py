"""The one search function behind the page, the API and the CLI: query in, `Results` out."""

import bisect
import datetime as dt
import heapq
import html
import itertools
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from whoosh import classify, highlight, qparser, query
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map

from .analysis import NewsAnalyzer
from .caching import RESULTS_CACHE_ENTRIES, ResultsCache
from .errors import ArticleNotFound, QueryError
from .indexing import IndexStore
from .ranking import (PROXIMITY_DEPTH, TITLE_WEIGHT, WORD, InExpC2, keyword_words,
                      proximity_bonus, with_variants, word_variants, words_held)
from .schema import all_text_fields, build_schema, text_fields
from .vectors import Evaluator, Postings, top

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
MIN_PREFIX_CHARS = 2
MAX_EXPANSIONS = 1000
MAX_CLAUSES = 100
MAX_FUZZY_EDITS = 2
MAX_FUZZY_TERMS = 5
MAX_STORED_OFFSET_TERMS = 50  # more query terms than this: snippets analyse the text
MAX_CORRECTIONS = 5  # unknown words looked up for "did you mean" (each costs ~30 ms)
SNIPPET_CHARS = 240
SNIPPET_PASSAGES = 2
SORTS = ("relevance", "newest", "oldest")
FACETS = {"source": "source_name", "language": "language", "month": "month"}
MAX_SUGGESTIONS = 20
MIN_TITLE_FRAGMENT = 3
MAX_RELATED = 20
REMEMBERED = 4096  # word-list and word-variant lookups kept per index generation
RELATED_TERMS = 12


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
    similar: int = 0
    """Near-duplicate versions of this story (same source, headline and lead) that also
    matched and were collapsed into this hit."""


@dataclass(frozen=True)
class FacetCount:
    value: str
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
    body_html: list[str] = field(default_factory=list)
    """One entry per paragraph: escaped HTML, with <mark> around the words of the query the
    article was asked for with (see `SearchIndex.article`)."""


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps each matched term in <mark>: safe to render as HTML."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"


class _Generation:
    """What every thread reads alike from one index generation, built once on first use:
    sortable columns (collapsing, facets) and the vocabulary (suggestions)."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._values: dict = {}
        self._remembered: OrderedDict = OrderedDict()

    def get(self, key, build):
        with self._lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]

    def remember(self, key, build):
        """`build()`, kept for the generation among the REMEMBERED latest."""
        with self._lock:
            found = self._remembered.get(key)
            if found is not None:
                self._remembered.move_to_end(key)
                return found
        found = build()
        with self._lock:
            self._remembered[key] = found
            if len(self._remembered) > REMEMBERED:
                self._remembered.popitem(last=False)
        return found


class _Context:
    """Per-thread state for one index generation: a Searcher and what depends on it."""

    def __init__(self, searcher: Searcher, version, generation: _Generation):
        self.searcher = searcher
        self.version = version
        self.generation = generation

    @cached_property
    def text_fields(self) -> list[str]:
        indexed = set(self.searcher.reader().indexed_field_names())
        names = [name for pair in all_text_fields() for name in pair if name in indexed]
        return names or list(text_fields(None))

    @cached_property
    def parser(self) -> qparser.QueryParser:
        titles = {title for title, _ in all_text_fields()}
        parser = qparser.MultifieldParser(
            self.text_fields, build_schema(), group=qparser.OrGroup,
            fieldboosts={name: TITLE_WEIGHT for name in self.text_fields if name in titles})
        parser.add_plugin(qparser.FuzzyTermPlugin())
        return parser

    @cached_property
    def evaluator(self) -> Evaluator:
        postings = self.generation.get("postings",
                                       lambda: Postings(self.searcher.doc_count_all()))
        return Evaluator(self.searcher, postings)

    def codes(self, fieldname: str) -> tuple[np.ndarray, list]:
        """A sortable field's values as integer codes per document and the distinct values
        (code 0: none)."""
        return self.evaluator.postings.codes(self.searcher, fieldname)

    def word_variants(self, fieldname: str, word: bytes) -> list[tuple[bytes, float]]:
        """The variants of a query word the stemmer misses (ranking.with_variants),
        remembered for the generation."""
        return self.generation.remember(("variants", fieldname, word),
                                        lambda: word_variants(self.evaluator, fieldname, word))

    def terms_within(self, spelling: str, word: str, edits: int, prefix: int) -> list[str]:
        """Words of a spelling field within `edits` of `word` sharing its first `prefix`
        letters (at most MAX_EXPANSIONS + 1), remembered for the generation: walking the
        word lists costs ~5 ms per field and segment, and misspellings repeat."""
        def walk() -> list[str]:
            # Segment by segment: each walks its word list with an automaton, where a reader
            # of several segments compares the word with every word indexed (0.75 s on BBC).
            found = (found for segment, _ in self.searcher.reader().leaf_readers()
                     for found in segment.terms_within(spelling, word, edits, prefix))
            return sorted(set(itertools.islice(found, MAX_EXPANSIONS + 1)))
        return self.generation.remember(("within", spelling, word, edits, prefix), walk)

    @property
    def vocabulary(self) -> "_Vocabulary":
        return self.generation.get("vocabulary", self._read_vocabulary)

    def _read_vocabulary(self) -> "_Vocabulary":
        reader = self.searcher.reader()
        indexed = set(reader.indexed_field_names())
        frequencies: Counter = Counter()
        for name in self.text_fields:
            spelling = _spelling(name)
            if spelling in indexed:
                for word, info in reader.iter_field(spelling):
                    # articles holding the word (searchsvc.writing: one posting per word)
                    frequencies[word.decode("utf-8")] += int(info.weight())
        return _Vocabulary(frequencies)


class _Vocabulary:
    """The index's unstemmed words in sorted order, for completing a prefix by bisection."""

    def __init__(self, frequencies: Counter):
        self.words = sorted(frequencies)
        self.frequencies = [frequencies[w] for w in self.words]

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The `limit` most frequent words starting with `prefix`."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\U0010ffff", lo=start)
        best = heapq.nsmallest(limit, range(start, end),
                               key=lambda i: (-self.frequencies[i], len(self.words[i])))
        return [self.words[i] for i in best]


class SearchIndex:
    """Searches one index folder; safe to share between threads (one Searcher per thread),
    and it switches to a new index generation as soon as one is published."""

    def __init__(self, index_dir, cache_entries: int = RESULTS_CACHE_ENTRIES):
        self.store = IndexStore(index_dir)
        self.cache = ResultsCache(cache_entries)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = _Generation("")
        self.weighting = InExpC2()

    def _context(self) -> _Context:
        version = self.store.version()
        context = getattr(self._local, "context", None)
        if context is None or context.version != version:
            index = self.store.open()
            if context is not None:
                context.searcher.close()
            context = _Context(index.searcher(weighting=self.weighting), version,
                               self._shared(index.storage.folder))
            self._local.context = context
        return context

    def _shared(self, name: str) -> _Generation:
        with self._lock:
            if self._generation.name != name:
                self._generation = _Generation(name)
            return self._generation

    def doc_count(self) -> int:
        return self._context().searcher.doc_count()

    def served(self) -> tuple[str, int]:
        """The generation this thread answers from (`gen-<n>`) and its article count, read
        together so that /healthz never pairs one generation's name with another's count."""
        context = self._context()
        return Path(context.generation.name).name, context.searcher.doc_count()

    def search(self, request: SearchRequest) -> Results:
        request = request.validated()
        started = time.perf_counter()
        context = self._context()
        cached = self.cache.get(context.version, request)
        if cached is not None:
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        parsed = self._parse(context, request.q)
        evaluator = context.evaluator
        filters = _filters(request)
        try:
            within = evaluator.filter_mask(filters) if filters is not None else None
            # the words' variants count towards matching, scores and snippets; the proximity
            # bonus and the keyword order go by the words as typed
            expanded = with_variants(parsed, context.word_variants)
            found = evaluator.run(expanded, within)
        except ValueError as exc:
            raise QueryError(f"the query cannot be run: {exc}") from None
        docnums = np.flatnonzero(found.matched)
        scores = found.scores[docnums]
        ties = docnums
        if request.sort == "relevance":
            best = np.sort(top(scores, docnums, PROXIMITY_DEPTH))
            scores[best] += proximity_bonus(evaluator, parsed, found.matched, docnums[best])
            order = scores
            keywords = keyword_words(parsed, request.q, context.text_fields)
            if keywords and len(docnums):  # articles with more of the words first
                order = words_held(evaluator, keywords, docnums) * (scores.max() + 1) + scores
        else:
            dates = evaluator.postings.dates(context.searcher, "date")[docnums]
            newest = request.sort == "newest"
            # undated articles last either way; equal dates in index order, reversed for newest
            order = np.where(dates == np.iinfo(np.int64).max, np.iinfo(np.int64).min + 1,
                             dates if newest else -dates)
            ties = -docnums if newest else docnums
        start = (request.page - 1) * request.per_page
        codes, _ = context.codes("dupkey")
        stories = _Stories(codes[docnums])
        listed = stories.listed(order, ties, start + request.per_page)
        words = _QueryWords(expanded, context.searcher.reader())
        hits = [_hit(context, int(docnums[position]), float(scores[position]), similar, words)
                for position, similar in listed[start:start + request.per_page]]
        shown = docnums[stories.representatives()]
        facets = {name: _facet_counts(*context.codes(column), shown)
                  for name, column in FACETS.items()}
        results = Results(request=request, total=stories.count(), hits=hits,
                          took_ms=(time.perf_counter() - started) * 1000, facets=facets,
                          suggestion=_suggestion(context, request.q),
                          total_articles=len(docnums))
        self.cache.put(context.version, request, results)
        return results

    def article(self, article_id: str, q: str | None = None) -> StoredArticle:
        """The article with its paragraphs as HTML, the words of query `q` marked."""
        context = self._context()
        stored = context.searcher.document(id=article_id)
        if stored is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        article = _stored_article(stored)
        _, body_field = text_fields(article.language)
        words = frozenset()
        if q:
            parsed = self._parse(context, SearchRequest(q=q).validated().q)
            words = _query_words(parsed, context.searcher.reader(), body_field)
        analyzer = build_schema()[body_field].analyzer
        paragraphs = [p for p in article.body.split("\n\n") if p]
        marked = [(highlight.highlight(p, words, analyzer,
                                       highlight.WholeFragmenter(charlimit=None),
                                       MarkFormatter(), top=1) if words else "")
                  or html.escape(p) for p in paragraphs]
        return replace(article, body_html=marked)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of what has been typed so far, cheap enough for every keystroke: the
        last, unfinished word completed with the index's most frequent words, then headlines
        holding the words typed."""
        if len(prefix) > MAX_QUERY_CHARS:
            raise QueryError(f"the text is {len(prefix)} characters long; "
                             f"the limit is {MAX_QUERY_CHARS}")
        if "\x00" in prefix:
            raise QueryError("the text contains a NUL character")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        context = self._context()
        unfinished = _LAST_WORD.search(prefix)
        head = prefix[:unfinished.start()] if unfinished else prefix
        typed = _typed_words(context, head)
        fragment = unfinished.group().lower().translate(accent_map) if unfinished else ""
        words = context.vocabulary.completions(fragment, limit) if fragment else []
        titles = (_titles_with(context, typed, words, limit, bool(fragment))
                  if typed or len(fragment) >= MIN_TITLE_FRAGMENT else [])
        completed = [head + word for word in words]
        ordered = completed[:math.ceil(limit / 2)] + titles + completed[math.ceil(limit / 2):]
        return list(dict.fromkeys(ordered))[:limit]

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles about the same thing ("more like this"): a search for the article's most
        distinctive words, leaving out the article itself and its near-duplicates."""
        if not 1 <= limit <= MAX_RELATED:
            raise QueryError(f"limit must be between 1 and {MAX_RELATED}")
        context = self._context()
        searcher = context.searcher
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        article = _stored_article(searcher.stored_fields(docnum))
        title_field, body_field = text_fields(article.language)
        expander = classify.Expander(searcher.reader(), body_field)
        expander.add_text(f"{article.title}\n{article.title}\n{article.body}")
        terms = expander.expanded_terms(RELATED_TERMS)
        if not terms:
            return []
        like = query.Or([query.Term(name, word, boost=weight) for word, weight in terms
                         for name in (title_field, body_field)])
        codes, _ = context.codes("dupkey")
        within = codes != codes[docnum] if codes[docnum] else np.ones(len(codes), dtype=bool)
        within[docnum] = False
        found = context.evaluator.run(like, within)
        docnums = np.flatnonzero(found.matched)
        scores = found.scores[docnums]
        listed = _Stories(codes[docnums]).listed(scores, docnums, limit)
        words = _QueryWords(like, searcher.reader())
        return [_hit(context, int(docnums[position]), float(scores[position]), similar, words)
                for position, similar in listed[:limit]]

    def _parse(self, context: _Context, text: str) -> query.Query:
        try:
            parsed = context.parser.parse(text)
        except Exception as exc:  # the parser raises assorted types on odd input
            raise QueryError(f"the query cannot be understood: {exc}") from None
        _check_clauses(parsed, len(context.text_fields))
        reader = context.searcher.reader()
        parsed = _stem_fuzzy_terms(_exclusions(parsed), context)
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


def _exclusions(parsed: query.Query) -> query.Query:
    """`volcano NOT lava` means volcano articles without lava. Under OR grouping Whoosh reads
    it as `volcano OR (NOT lava)`, every article without lava; make each NOT exclude from
    its OR group instead."""
    if parsed.is_leaf():
        return parsed
    parsed = parsed.apply(_exclusions)
    if not isinstance(parsed, query.Or):
        return parsed
    excluded = [child.query for child in parsed.subqueries if isinstance(child, query.Not)]
    if not excluded:
        return parsed
    wanted = [child for child in parsed.subqueries if not isinstance(child, query.Not)]
    if not wanted:
        raise QueryError("NOT only excludes: add words to search for, as in `volcano NOT lava`")
    return query.AndNot(query.Or(wanted, boost=parsed.boost), query.Or(excluded))


def _stem_fuzzy_terms(parsed: query.Query, context: "_Context") -> query.Query:
    """Whoosh matches fuzzy words against the unstemmed spelling list but looks them up in the
    stemmed field, so they never match; expand them to surface words here, then stem each."""
    if isinstance(parsed, query.FuzzyTerm):
        if parsed.maxdist > MAX_FUZZY_EDITS:
            raise QueryError(f"{parsed.text!r}~{parsed.maxdist} allows too many differences; "
                             f"the limit is ~{MAX_FUZZY_EDITS}")
        field = build_schema()[parsed.fieldname]
        words = context.terms_within(_spelling(parsed.fieldname), parsed.text.lower(),
                                     parsed.maxdist, min(parsed.prefixlength, len(parsed.text)))
        stems = sorted({stem for word in words for stem in field.process_text(word, mode="query")})
        if len(words) > MAX_EXPANSIONS or len(stems) > MAX_EXPANSIONS:
            raise QueryError(f"{parsed.text!r}~ matches more than {MAX_EXPANSIONS} words; "
                             "make it more specific")
        terms = [query.Term(parsed.fieldname, stem, boost=parsed.boost) for stem in stems]
        return query.Or(terms) if terms else query.NullQuery
    if parsed.is_leaf():
        return parsed
    return parsed.apply(lambda child: _stem_fuzzy_terms(child, context))


def _check_clauses(parsed: query.Query, fields: int) -> None:
    """Refuse queries with more than MAX_CLAUSES terms or MAX_FUZZY_TERMS fuzzy words (each
    word is searched in every text field, so it counts once however many fields it is in)."""
    leaves = [parsed] if parsed.is_leaf() else list(parsed.leaves())
    terms = math.ceil(len(leaves) / max(fields, 1))
    if terms > MAX_CLAUSES:
        raise QueryError(f"the query has {terms} terms; the limit is {MAX_CLAUSES}")
    fuzzy = math.ceil(sum(isinstance(leaf, query.FuzzyTerm) for leaf in leaves) / max(fields, 1))
    if fuzzy > MAX_FUZZY_TERMS:
        raise QueryError(f"the query has {fuzzy} words with ~; the limit is {MAX_FUZZY_TERMS}")


def _check_expansions(parsed: query.Query, reader) -> None:
    """Refuse wildcard, prefix and fuzzy terms that would expand to too many index terms, alone
    or together (fifty two-letter prefixes cost seconds even when each stays under the cap)."""
    expanded = 0
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
            expanded += count
            if expanded > MAX_EXPANSIONS:
                raise QueryError(f"the wildcards match more than {MAX_EXPANSIONS} words together; "
                                 "use fewer or more specific ones")


def _query_words(parsed: query.Query, reader, fieldname: str) -> frozenset[str]:
    """The index terms of `fieldname` that the query looks for, wildcards expanded.
    (Whoosh's own `existing_terms` skips fields after the first leaf it sees.)"""
    leaves = [parsed] if parsed.is_leaf() else parsed.leaves()
    return frozenset(text if isinstance(text, str) else text.decode("utf-8")
                     for leaf in leaves if leaf.field() == fieldname
                     for name, text in leaf.expanded_terms(reader, phrases=True)
                     if (name, text) in reader)


class _Stories:
    """The matched articles grouped into stories: the versions of a wire story that share a
    dupkey code (0: none, a story of its own) are listed once, under the best ranked."""

    def __init__(self, codes: np.ndarray):
        self.codes = codes
        self.versions = np.bincount(codes) if len(codes) else np.zeros(1, dtype=np.int64)

    def count(self) -> int:
        return int(self.versions[0] + np.count_nonzero(self.versions[1:]))

    def listed(self, order: np.ndarray, ties: np.ndarray, wanted: int) -> list[tuple[int, int]]:
        """(position, number of other versions) of the first `wanted` stories by `order`,
        largest first (then by `ties`); ranks only as deep as collapsing needs."""
        depth = min(len(order), max(2 * wanted, wanted + 20))
        while True:
            listed, seen = [], set()
            for position in top(order, ties, depth).tolist():
                code = int(self.codes[position])
                if code:
                    if code in seen:
                        continue
                    seen.add(code)
                listed.append((position, int(self.versions[code]) - 1 if code else 0))
                if len(listed) == wanted:
                    return listed
            if depth == len(order):
                return listed
            depth = min(len(order), depth * 4)

    def representatives(self) -> np.ndarray:
        """Positions of one version of each story (the first indexed), for facet counts."""
        alone = np.flatnonzero(self.codes == 0)
        codes, first = np.unique(self.codes, return_index=True)
        return np.concatenate([alone, first[codes != 0]])


def _facet_counts(codes: np.ndarray, values: list, docnums: np.ndarray) -> list[FacetCount]:
    counts = np.bincount(codes[docnums], minlength=len(values))
    return sorted((FacetCount(str(values[code]), int(counts[code]))
                   for code in np.flatnonzero(counts).tolist() if code),
                  key=lambda f: (-f.count, f.value))


class _QueryWords:
    """The index terms a query looks for, per field, found once per search for all hits."""

    def __init__(self, parsed: query.Query, reader):
        self.parsed = parsed
        self.reader = reader
        self._fields: dict[str, frozenset[str]] = {}

    def __call__(self, fieldname: str) -> frozenset[str]:
        if fieldname not in self._fields:
            self._fields[fieldname] = _query_words(self.parsed, self.reader, fieldname)
        return self._fields[fieldname]


def _typed_words(context: _Context, text: str) -> list[str]:
    """The words of `text` that are indexed at all (lowercase; stop words and unknown words
    dropped, since they could only empty a suggestion)."""
    reader = context.searcher.reader()
    words = []
    for word in WORD.findall(text.lower()):
        if any((name, term) in reader for name in context.text_fields
               for term in build_schema()[name].process_text(word, mode="query")):
            words.append(word)
    return words


def _titles_with(context: _Context, words: list[str], completions: list[str], limit: int,
                 unfinished: bool) -> list[str]:
    """Headlines holding every finished word typed and, when the last word is unfinished,
    one of its completions; best matches first."""
    if not words and not completions:
        return []
    schema = build_schema()
    indexed = set(context.searcher.reader().indexed_field_names())
    per_field = []
    for name in (title for title, _ in all_text_fields() if title in indexed):
        field_ = schema[name]
        clauses = [query.Term(name, term) for word in words
                   for term in field_.process_text(word, mode="query")]
        if unfinished:
            stems = {stem for word in completions
                     for stem in field_.process_text(word, mode="query")}
            if not stems:
                continue
            clauses.append(query.Or([query.Term(name, stem) for stem in sorted(stems)]))
        if clauses:
            per_field.append(query.And(clauses))
    if not per_field:
        return []
    results = context.searcher.search(query.Or(per_field), limit=limit * 2)
    titles = (_stored_article(hit.fields()).title for hit in results)
    return list(dict.fromkeys(title for title in titles if title))[:limit]


def _hit(context: _Context, docnum: int, score: float, similar: int,
         words: _QueryWords) -> Hit:
    article = _stored_article(context.searcher.stored_fields(docnum))
    title_field, body_field = text_fields(article.language)
    snippet = _snippet(article.body, _marks(context, docnum, body_field, article.body,
                                            words(body_field)))
    if not snippet:
        lead = article.body[:SNIPPET_CHARS]
        snippet = html.escape(lead[:lead.rfind(" ")] + " …" if len(article.body) > SNIPPET_CHARS
                              else lead)
    title_html = _highlight_title(article.title, words(title_field), title_field)
    return Hit(id=article.id, title=article.title, date=article.date, source=article.source,
               language=article.language, url=article.url, score=round(score, 4),
               title_html=title_html, snippet=snippet, similar=similar)


def _marks(context: _Context, docnum: int, fieldname: str, text: str,
           words: frozenset[str]) -> list[highlight.Token]:
    """Tokens for the places in `text` (the stored `fieldname` of `docnum`) where one of the
    index terms `words` occurs. Read from the character offsets the index stores, which
    are kept in memory per term like the postings; a field without them, or a query with
    many terms (wildcards), has its text analysed again instead."""
    schema = build_schema()
    if not words:
        return []
    if len(words) > MAX_STORED_OFFSET_TERMS or not schema[fieldname].format.supports("characters"):
        analyzer = schema[fieldname].analyzer
        if isinstance(analyzer, NewsAnalyzer):
            return analyzer.matches(text, words)
        return [token.copy() for token in analyzer(text, chars=True, mode="query",
                                                    removestops=False)
                if not token.stopped and token.text in words]
    postings, searcher = context.evaluator.postings, context.searcher
    marks = [highlight.Token(text=word, boost=1.0, startchar=start, endchar=end, matched=True)
             for word in words
             for start, end in postings.occurrences(searcher, fieldname,
                                                    word.encode("utf-8")).chars(docnum)]
    return sorted(marks, key=lambda token: token.startchar)


def _snippet(text: str, matches: list[highlight.Token]) -> str:
    """The best two passages of `text` around `matches` (see `_marks`), marked."""
    fragmenter = highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=70,
                                              autotrim=True)
    fragmenter.charlimit = None
    # Fragments around nearby matches overlap: merge them (up to two snippet lengths) or cut
    # the later one where the earlier ends, or the snippet would show the same words twice.
    merged: list[highlight.Fragment] = []
    for fragment in sorted(fragmenter.fragment_matches(text, matches), key=lambda f: f.startchar):
        if merged and fragment.startchar < merged[-1].endchar:
            last = merged[-1]
            if fragment.endchar - last.startchar <= 2 * SNIPPET_CHARS:
                merged[-1] = highlight.Fragment(text, last.matches + fragment.matches,
                                                last.startchar, max(last.endchar, fragment.endchar))
                continue
            later = [m for m in fragment.matches if m.startchar >= last.endchar]
            if not later:
                continue
            fragment = highlight.Fragment(text, later, last.endchar, fragment.endchar)
        merged.append(fragment)
    chosen = sorted(merged, key=highlight.BasicFragmentScorer(), reverse=True)[:SNIPPET_PASSAGES]
    return MarkFormatter()(text, sorted(chosen, key=lambda f: f.startchar))


def _highlight_title(title: str, words: frozenset[str], fieldname: str) -> str:
    analyzer = build_schema()[fieldname].analyzer
    if not words:
        return html.escape(title)
    if not isinstance(analyzer, NewsAnalyzer):
        return highlight.highlight(title, words, analyzer, highlight.WholeFragmenter(
            charlimit=None), MarkFormatter()) or html.escape(title)
    marks = analyzer.matches(title, words)
    if not marks:
        return html.escape(title)
    return MarkFormatter().format_fragment(highlight.Fragment(title, marks, 0, len(title)))


def _suggestion(context: "_Context", text: str) -> str | None:
    """"Did you mean": the query with each unknown word replaced by the closest indexed word.

    Words are checked against the unstemmed spelling lists, so a correction is a real word.
    Only the first MAX_CORRECTIONS unknown words are looked up: a query of a hundred made-up
    words would otherwise cost seconds."""
    reader = context.searcher.reader()
    fields = context.text_fields
    changed = False
    looked_up = 0

    def correct(match: re.Match) -> str:
        nonlocal changed, looked_up
        word = match.group(0)
        lowered = word.lower()
        if (len(lowered) < 3 or word in _OPERATORS or not lowered.isalpha()
                or looked_up == MAX_CORRECTIONS
                or any(_is_stopword(f, lowered) or (_spelling(f), lowered) in reader
                       for f in fields)):
            return word
        looked_up += 1
        best = _closest_word(context, [_spelling(f) for f in fields], lowered)
        if best is None:
            return word
        changed = True
        return best

    corrected = _WORD.sub(correct, text)
    return corrected if changed else None


_LAST_WORD = re.compile(WORD.pattern + "$")
_WORD = re.compile(r"(?<![:\w*?~])\w+(?![:\w*?~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _closest_word(context: "_Context", spelling_fields: list[str], word: str) -> str | None:
    """The most frequent indexed word at the smallest edit distance (1, then 2) from `word`."""
    reader = context.searcher.reader()
    for distance in (1, 2):
        candidates = {(reader.frequency(f, w), w) for f in spelling_fields
                      for w in context.terms_within(f, word, distance, 1) if w != word}
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
