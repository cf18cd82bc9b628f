"""SearchIndex: the one search function behind the page, the API and the CLI (query in,
`Results` out), and the article, suggestion and related-article look-ups.

A SearchIndex follows the index folder's current generation. What every thread reads alike
(the generation's mapped arrays, remembered word look-ups) is shared per process; each thread
has its own Whoosh searcher for stored fields (Whoosh's file readers are not thread-safe).
When a new generation is published, the first thread to notice opens and warms it while the
others go on answering from the old one, then all switch.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from functools import cached_property

import numpy as np
import numpy.ma  # noqa: F401  np.isin imports it when first given large arrays: 17-26 ms
from whoosh import query

from ..analysis import analysis_for
from ..caching import RESULTS_CACHE_ENTRIES, ResultsCache
from ..collection import Collection, GenerationCollection
from ..errors import ArticleNotFound, QueryError
from ..evaluation import Evaluator, wanted_leaves
from ..generation import Generation
from ..headlines import display_title
from ..indexing import IndexStore
from ..memory import preload
from ..ranking import relevance_scores
from ..schema import TEXT_FIELDS
from ..variants import variant_parts, with_variants, word_variants
from . import matching, querying, related, snippets, spelling, suggestions
from .querying import MAX_EXPANSIONS, ParsedQuery
from .results import FacetCount, Hit, Results, SearchRequest, StoredArticle, check_text
from .stories import Stories, best, day_facets, day_part, facet_parts

FACETS = ("source", "language", "month")
MAX_SUGGESTIONS = 20
MAX_RELATED = 20
REMEMBERED = 4096  # word-list and word-variant lookups kept per index generation
WARM_QUERY = "news"


class _Shared:
    """What every thread of a process reads alike from one generation."""

    def __init__(self, version, index, generation: Generation, collection: Collection):
        self.version = version
        self.index = index
        self.generation = generation
        self.parser = querying.make_parser()  # parsing keeps no state: one for all threads
        self.collection = collection
        self._lock = threading.Lock()
        self._remembered: OrderedDict = OrderedDict()

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
    """One thread's view of a generation: its evaluator and, when needed, a Whoosh searcher."""

    def __init__(self, shared: _Shared):
        self.shared = shared
        self.version = shared.version
        self.generation = shared.generation
        self.collection = shared.collection
        self.evaluator = Evaluator(self.generation, lambda: self.searcher, self.collection)

    @cached_property
    def searcher(self):
        """A Whoosh searcher of this thread's own, for looking articles up by id (Whoosh's
        file readers are not thread-safe); searches never need one."""
        return self.shared.index.searcher()

    def parse(self, text: str) -> ParsedQuery:
        return querying.parse(self.shared.parser, text, self.collection, self.within)

    def within(self, word: str, edits: int, prefix: int) -> list[str]:
        """Vocabulary words within `edits` of `word`, remembered for the generation."""
        return self.shared.remember(
            ("within", word, edits, prefix),
            lambda: self.collection.vocabulary.within(word, edits, prefix, MAX_EXPANSIONS + 1))

    def with_variants(self, q: query.Query) -> query.Query:
        """`q` with its words' variants (searchsvc.variants.with_variants), found for all its
        words at once; what this index holds of each is remembered for the generation."""
        words = [(leaf.fieldname, _bytes(leaf.text)) for leaf in wanted_leaves(q)
                 if isinstance(leaf, query.Term) and leaf.fieldname in TEXT_FIELDS]
        variants = word_variants(self.evaluator, words, local=lambda field, word: (
            self.shared.remember(("variants", field, word),
                                 lambda: variant_parts(self.evaluator, field, word))))
        return with_variants(q, lambda field, word: variants.get((field, word), []),
                             TEXT_FIELDS)

    def stored(self, docnum: int) -> StoredArticle:
        generation = self.generation
        source, language = (values[int(codes[docnum])]
                            for codes, values in (generation.columns["source"],
                                                  generation.columns["language"]))
        return StoredArticle.of(self.evaluator.stored(docnum), generation.day(docnum), source,
                                language)

    def close(self) -> None:
        if "searcher" in self.__dict__:
            self.searcher.close()


class SearchIndex:
    """Searches one index folder; safe to share between threads, and it switches to a new
    index generation as soon as one is published."""

    def __init__(self, index_dir, cache_entries: int = RESULTS_CACHE_ENTRIES,
                 collection=GenerationCollection):
        """`collection(generation)` gives the statistics searches read about the whole
        collection (searchsvc.collection): by default the generation's own; a shard of a
        sharded index reads those of every shard."""
        self.collection = collection
        self.store = IndexStore(index_dir)
        self.cache = ResultsCache(cache_entries)
        self._local = threading.local()
        self._opening = threading.Lock()
        self._shared: _Shared | None = None
        self.preloading = False

    def _context(self) -> _Context:
        version = self.store.version()
        context = getattr(self._local, "context", None)
        if context is not None and context.version == version:
            return context
        shared = self._shared_for(version, waiting=context is None)
        if shared is None:  # another thread is opening the new generation: keep the old
            return context
        if context is not None:
            context.close()
        context = self._local.context = _Context(shared)
        return context

    def _shared_for(self, version, waiting: bool) -> _Shared | None:
        shared = self._shared
        if shared is not None and shared.version == version:
            return shared
        if not self._opening.acquire(blocking=waiting):
            return None
        try:
            shared = self._shared
            if shared is None or shared.version != version:
                index, generation = self.store.open()
                if self.preloading:
                    preload(generation.folder)
                shared = _Shared(version, index, generation, self.collection(generation))
                _warm(_Context(shared))
                self._shared = shared
            return shared
        finally:
            self._opening.release()

    def warm(self) -> None:
        """Open the current generation and run a search and a suggestion, so the first
        request pays no start-up costs; from now on, read each generation's files into the
        page cache as it opens (searchsvc.memory.preload), as a server does."""
        self.preloading = True
        self._context()

    def doc_count(self) -> int:
        return self._context().generation.live_count

    def served(self) -> tuple[str, int]:
        """The generation this thread answers from (`gen-<n>`) and its article count, read
        together so that /healthz never pairs one generation's name with another's count."""
        generation = self._context().generation
        return generation.folder.name, generation.live_count

    def search(self, request: SearchRequest) -> Results:
        request = request.validated()
        started = time.perf_counter()
        context = self._context()
        cached = self.cache.get(context.version, request)
        if cached is not None:  # took_ms stays the time the search took
            return cached
        parsed = context.parse(request.q)
        evaluator = context.evaluator
        evaluator.forget()
        generation = context.generation
        collection = context.collection
        within = _filters(generation, request)
        if request.story is not None:
            within = _story(context, request.story, within)
        # the words' variants count towards matching, scores and snippets; the proximity
        # bonus and the keyword order go by the words as typed
        expanded = context.with_variants(parsed.query)
        found = evaluator.run(expanded, within)
        docnums, scores = found.docs, found.scores.copy()
        words = matching.units(parsed.query)
        held = matching.held(evaluator, words, docnums) if len(words) > 1 else None
        dated = _dated(generation, request)
        kept = dated[docnums] if dated is not None else None
        if held is not None and kept is not None:
            undated, held = held, matching.Held(held.units, held.holds[:, kept])
        else:
            undated = held
        patterns = None
        if held is not None and request.sort != "relevance":
            # which words the articles of the collection hold together, without the dates
            # (for `latest`) and with them
            patterns = collection.combine("each", {
                "undated": ("patterns", undated.patterns()),
                "dated": ("patterns", held.patterns())})
        # the newest of what this search lists without its dates: date presets count from it
        latest = _newest(generation, docnums if patterns is None
                         else docnums[undated.relaxed(patterns["undated"])[0]])
        if kept is not None:
            docnums, scores = docnums[kept], scores[kept]
        left_out: tuple[str, ...] = ()
        ties = np.asarray(generation.tiekeys)[docnums]
        chosen = None
        if request.sort == "relevance":
            def ranked(scores, count, among=None):
                if among is None:
                    return best(collection, scores, ties, count)
                return among[best(collection, scores[among], ties[among], count)]

            scores, chosen = relevance_scores(evaluator, parsed, request.q, docnums, scores,
                                              ranked)
            order = scores
        else:
            if held is not None:  # the articles holding every word (or as many as any do)
                keep, left_out = held.relaxed(patterns["dated"])
                docnums, scores, ties = docnums[keep], scores[keep], ties[keep]
                held = matching.Held(held.units, held.holds[:, keep])
            dates = np.asarray(generation.dates)[docnums].astype(np.int64)
            newest = request.sort == "newest"
            # undated articles last either way; equal dates by tie key, reversed for newest
            order = np.where(dates == 0, np.iinfo(np.int64).min + 1, dates if newest else -dates)
            ties = -ties if newest else ties
        start = (request.page - 1) * request.per_page
        story_codes, story_count = generation.stories
        codes = story_codes[docnums]
        stories = Stories(codes, story_count) if request.story is None else \
            Stories(np.arange(1, len(docnums) + 1), len(docnums))  # one story's versions apart
        # in relevance order by score, the proximity bonus went to the best by score, which
        # hold every article ranked above any other
        listed = stories.listed(order, ties, start + request.per_page,
                                among=chosen if order is scores else None)
        terms = {field: querying.query_terms(expanded, collection, field)
                 for field in TEXT_FIELDS}
        page = _page(collection, order, ties, listed, start, request.per_page)
        hits = [(place, _hit(context, int(docnums[position]), float(scores[position]),
                             similar, terms)) for place, position, similar in page]
        shown = docnums[stories.representatives()]
        parts = {"hits": ("placed", hits), "total": ("sum", stories.count()),
                 "articles": ("sum", len(docnums)),
                 "newest": ("largest", latest.toordinal() if latest else None),
                 "day": ("days", day_part(generation.dates, shown))}
        for name, part in facet_parts(generation, FACETS, shown).items():
            parts[name] = ("facets", part)
        if held is not None:
            every = codes[held.every()]
            parts["all_words"] = ("sum", Stories(every, story_count).count())
        whole = collection.combine("each", parts)
        facets = {name: [FacetCount(value, count) for value, count in whole[name]]
                  for name in FACETS}
        facets["day"] = day_facets(whole["day"])
        matched = None
        if held is not None:
            matched = matching.Matching(tuple(word.text for word in words),
                                        whole["all_words"], left_out)
        newest_day = dt.date.fromordinal(whole["newest"]) if whole["newest"] else None
        results = Results(request=request, total=whole["total"], hits=whole["hits"],
                          took_ms=(time.perf_counter() - started) * 1000, facets=facets,
                          suggestion=spelling.suggestion(request.q, evaluator, context.within),
                          total_articles=whole["articles"], matching=matched,
                          newest=newest_day)
        self.cache.put(context.version, request, results)
        return results

    def article(self, article_id: str, q: str | None = None) -> StoredArticle:
        """The article with its paragraphs as HTML, the words of query `q` marked."""
        context = self._context()
        docnum = context.searcher.document_number(id=article_id)
        found = context.collection.combine(  # from the shard that holds it
            "placed", [(0, context.stored(docnum))] if docnum is not None else [])
        if not found:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        article = found[0]
        terms = {field: frozenset() for field in TEXT_FIELDS}
        if q:
            parsed = context.parse(SearchRequest(q=q).validated().q)
            # the words' variants, as the results' snippets mark them
            expanded = context.with_variants(parsed.query)
            terms = {field: querying.query_terms(expanded, context.collection, field)
                     for field in TEXT_FIELDS}
        analysis = analysis_for(article.language)
        paragraphs = [p for p in article.body.split("\n\n") if p]
        readable = display_title(article.title, article.body, article.language)
        return replace(article, display_title=readable,
                       title_html=snippets.marked(readable, analysis, terms["title"]),
                       body_html=[snippets.marked(p, analysis, terms["body"])
                                  for p in paragraphs])

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of what has been typed so far (searchsvc.searching.suggestions)."""
        check_text(prefix, "text")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        context = self._context()
        return suggestions.suggestions(prefix, limit, context.evaluator,
                                       lambda docnum: context.stored(docnum).title)

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles about the same thing ("more like this"): a search for the article's most
        distinctive words, leaving out the article itself and its near-duplicates."""
        if not 1 <= limit <= MAX_RELATED:
            raise QueryError(f"limit must be between 1 and {MAX_RELATED}")
        context = self._context()
        collection = context.collection
        generation = context.generation
        docnum = context.searcher.document_number(id=article_id)
        distinctive = []
        if docnum is not None:  # the shard that holds the article finds its words
            article = context.stored(docnum)
            distinctive = [(0, related.distinctive_terms(
                collection, analysis_for(article.language), article.title, article.body))]
        found_terms = collection.combine("placed", distinctive)
        if not found_terms:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        terms = found_terms[0]
        if not terms:
            return []
        like = query.Or([query.Term(field, word, boost=weight) for word, weight in terms
                         for field in TEXT_FIELDS])
        codes = np.asarray(generation.dupkeys)
        within = codes != codes[docnum] if docnum is not None else None
        found = context.evaluator.run(like, within)
        docnums, scores = found.docs, found.scores
        ties = np.asarray(generation.tiekeys)[docnums]
        story_codes, story_count = generation.stories
        listed = Stories(story_codes[docnums], story_count).listed(scores, ties, limit)
        marks = {field: querying.query_terms(like, collection, field) for field in TEXT_FIELDS}
        page = _page(collection, scores, ties, listed, 0, limit)
        return collection.combine("placed", [
            (place, _hit(context, int(docnums[position]), float(scores[position]), similar,
                         marks)) for place, position, similar in page])


def _warm(context: _Context) -> None:
    """Pay a generation's first-use costs (parser, analyses, the code paths of a search), map
    the pages of its per-document columns into this process (a few megabytes at a million
    articles, read by every search over matches anywhere in the archive) and compute the
    documents' length factors against the collection's average lengths."""
    context.generation.touch_columns()
    context.generation.facet_codes(FACETS)
    for field in TEXT_FIELDS:
        context.generation.length_factors(field, context.collection.average_length(field))
    parsed = context.parse(WARM_QUERY)
    # scored with this index's statistics: a shard warms outside any search, with no other
    # shard to exchange figures with
    Evaluator(context.generation).run(parsed.query)
    for language in context.generation.analyses:
        analysis_for(language).terms(WARM_QUERY)
    context.generation.vocabulary.completions(WARM_QUERY[:2], 1)


def _filters(generation: Generation, request: SearchRequest) -> np.ndarray | None:
    """The documents the request's source and language admit (None: no filter)."""
    mask = None

    def narrow(admitted: np.ndarray) -> None:
        nonlocal mask
        mask = admitted if mask is None else mask & admitted

    for name, wanted in (("source", request.source), ("language", request.language)):
        if wanted:
            codes, values = generation.columns[name]
            chosen = [code for code, value in enumerate(values) if value
                      and _names(name, value, wanted)]
            narrow(np.isin(codes, chosen))
    return mask


def _dated(generation: Generation, request: SearchRequest) -> np.ndarray | None:
    """The documents the request's from/to dates admit (None: no dates)."""
    if not (request.date_from or request.date_to):
        return None
    dates = np.asarray(generation.dates)
    admitted = dates != 0
    if request.date_from:
        admitted &= dates >= request.date_from.toordinal()
    if request.date_to:
        admitted &= dates <= request.date_to.toordinal()
    return admitted


def _newest(generation: Generation, docnums: np.ndarray) -> dt.date | None:
    dates = np.asarray(generation.dates)[docnums]
    return dt.date.fromordinal(int(dates.max())) if len(dates) and dates.max() else None


def _story(context: _Context, article_id: str, within: np.ndarray | None) -> np.ndarray:
    """`within` narrowed to the versions of the story of `article_id` (none when no article
    has that id)."""
    codes = np.asarray(context.generation.dupkeys)
    docnum = context.searcher.document_number(id=article_id)
    versions = codes == codes[docnum] if docnum is not None else np.zeros(len(codes), bool)
    return versions if within is None else within & versions


def _page(collection: Collection, order: np.ndarray, ties: np.ndarray,
          listed: list[tuple[int, int]], start: int, count: int) -> list[tuple[int, int, int]]:
    """(place on the page, position, other versions) of the stories this index lists (`listed`:
    (position, other versions), best first by `order` then `ties`) among the stories
    `start` to `start + count` of the whole collection."""
    ranked = collection.combine("gathered", (start + count, [
        ((-order[position].item(), ties[position].item()), (position, similar))
        for position, similar in listed]))
    return [(place - start, position, similar)
            for place, (_, part, (position, similar)) in enumerate(ranked)
            if place >= start and part == collection.part]


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _names(field: str, value: str, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    if field == "source":
        return wanted in (part.strip().lower() for part in value.split(","))
    return value.lower() == wanted


def _hit(context: _Context, docnum: int, score: float, similar: int,
         terms: dict[str, frozenset[str]]) -> Hit:
    article = context.stored(docnum)
    analysis = analysis_for(article.language)
    readable = display_title(article.title, article.body, article.language)
    return Hit(id=article.id, title=article.title, date=article.date, source=article.source,
               language=article.language, url=article.url, score=round(score, 4),
               title_html=snippets.marked(readable, analysis, terms["title"]),
               snippet=snippets.snippet(article.body, analysis, terms["body"]), similar=similar,
               indexed=article.indexed, display_title=readable)

