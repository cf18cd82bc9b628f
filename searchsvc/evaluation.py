"""Queries evaluated over the generation's arrays, touching only the documents that match.

A query (a tree of Whoosh query objects, searchsvc.querying) is evaluated bottom-up into a
`Match`: the ascending numbers of the documents it matches and their scores. A term is a
slice of its postings, scored with the weighting model in one vectorised step; an OR sums
its parts' scores (through a dense accumulator when the parts are large, by sorting when
they are small), an AND keeps the documents all parts hold and sums their scores, a phrase
checks word positions in the documents that hold every word. Nodes combine scores the way
Whoosh's matchers do (Or and And add, AndNot keeps the left side's, AndMaybe adds the right
side's where the left matched, a phrase scores the sum of its words'), but for a typed word
(`AcrossFields`): Whoosh would add a score per field and per index term, here the word is
scored once, as one term over the headline and body taken as one text (`Evaluator.word`).
Field clauses (`source:`, `language:`, dates) are read from per-document columns and score
nothing.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import numpy as np
from whoosh import query
from whoosh.util.times import long_to_datetime

from .collection import Collection, GenerationCollection
from .errors import QueryError
from .generation import Generation
from .segments import NO_DATE, TEXT_FIELDS
from .weighting import FIELD_WEIGHTS, informative_content, term_scores

MAX_PHRASE_SLOP = 1000
MAX_PATTERN_CANDIDATES = 100_000
"""Index terms a wildcard's literal prefix may select before its pattern is applied."""
DENSE_FACTOR = 8
"""A union over more postings than 1/DENSE_FACTOR of the documents sums into a dense array."""
FOLD_FACTOR = 8
"""Lists summed (`summed`) are folded into the longest when it is this many times as long as
the others together."""
DENSE_LOOKUP = 8
DENSE_UNIVERSE = 64
"""Documents are looked up in a list through a mask (`contained`, `members`) when the list is
at most DENSE_LOOKUP times as long as what is looked up, and the mask at most DENSE_UNIVERSE
times as long as both."""
SEARCHED_FACTOR = 16
"""A list is counted with another (`_union_size`) by binary searches in it when it is this
many times as long (a binary search costs about 40 ns a number at a million articles,
marking a mask about 3 ns)."""
REMEMBERED_STATISTICS = 4096
REMEMBERED_ARTICLES = 256
REMEMBERED_POSTINGS = 4_000_000
"""Postings an evaluator keeps (about 24 MB: a search's terms at a million articles)."""

_EMPTY_DOCS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Match:
    """What a query matched: ascending document numbers and each one's score."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


EMPTY = Match(_EMPTY_DOCS, np.zeros(0))


class AcrossFields(query.Or):
    """One typed word (or phrase) looked up in every text field: its alternatives (its index
    term in each field and in each language present, the variants searchsvc.variants adds)
    are scored together as one term of one text made of the fields (`Evaluator.word`); a
    typed phrase, as the sum of its words' scores so made, in the articles holding it in a
    field.

    Whoosh adds a score per field and per term instead, each with its own statistics and its
    own saturation: a word in the headline and the body scores twice, each of its forms once
    more, and the headline's score comes from the statistics of a field of eight words. That
    way (headline scores weighed by 0.3, the best of 1, 0.3 and 0.1 on TIME), MAP fell short
    of engines scoring one text on CISI and CACM, whose titles are real. Scored as one text,
    with the other choices of this module and searchsvc.ranking unchanged, MAP rises on CISI
    (0.237 -> 0.248, p = 0.01 in a paired randomisation test), CACM (0.352 -> 0.372,
    p = 0.008) and Cranfield (0.329 -> 0.333), and falls on TIME (0.655 -> 0.644, p = 0.2;
    24 queries gain, 21 lose), whose "headlines" are the first 50 characters of the text;
    with the collections indexed as a language without a stemmer, CISI +0.017, CACM +0.035,
    Cranfield +0.001, TIME -0.008."""

    def apply(self, fn):
        return type(self)([fn(q) for q in self.subqueries], boost=self.boost)

    def normalize(self):
        return self


def union(parts: list[Match], size: int) -> Match:
    """The documents any part matches, with the parts' scores summed."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    return Match(*summed([part.docs for part in parts], [part.scores for part in parts], size))


def summed(docs: list[np.ndarray], values: list[np.ndarray],
           size: int) -> tuple[np.ndarray, np.ndarray]:
    """(the ascending union of the ascending document numbers `docs`, the sum of each one's
    `values`) over documents numbered below `size`. Over many documents the values are
    added into an array over every document (3 lists of 150,000-250,000 of a million: 3.5
    ms, 14 ms concatenated and counted with np.bincount); over few, the lists are merged;
    short lists beside a long one are folded into it (`_folded`). Every way adds a
    document's values in the lists' order, so the sums are the same whichever is taken (as
    in one index and in a shard of it): a long list is folded only when it is last, or one
    of two (a + b is b + a)."""
    if len(docs) == 1:
        return docs[0].astype(np.int64), values[0]
    lengths = [len(part) for part in docs]
    largest = max(range(len(docs)), key=lengths.__getitem__)
    if (sum(lengths) - lengths[largest]) * FOLD_FACTOR <= lengths[largest] \
            and (len(docs) == 2 or largest == len(docs) - 1):
        others = [number for number in range(len(docs)) if number != largest]
        return _folded(docs[largest], values[largest],
                       *summed([docs[n] for n in others], [values[n] for n in others], size))
    if sum(lengths) * DENSE_FACTOR > size:
        sums = np.zeros(size)
        held = np.zeros(size, dtype=bool)
        for some, their in zip(docs, values):
            np.add.at(sums, some, their)
            held[some] = True
        found = np.flatnonzero(held)
        return found, sums[found]
    found, where = _merged_with_positions(docs)
    return found, np.bincount(where, weights=np.concatenate(values), minlength=len(found))


def _folded(docs: np.ndarray, values: np.ndarray, few: np.ndarray,
            their: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`summed` of a long list (`docs`, `values`) and a short one (`few`, `their`): the short
    one's documents found in the long one by binary search and the others inserted. A word's
    headline postings are a few hundredth of its text's: at a million articles, 4,400 into
    497,000, 2.9 ms where summing both over every document took 11.4."""
    where = np.searchsorted(docs, few)
    found = where < len(docs)
    found[found] = docs[where[found]] == few[found]
    values = values.astype(np.float64)  # a copy
    values[where[found]] += their[found]
    new = ~found
    return (np.insert(docs.astype(np.int64), where[new], few[new]),
            np.insert(values, where[new], their[new]))


def members(docs: np.ndarray, of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask over `docs` of those in `of`, where each found one is in `of`); both ascending,
    of non-negative numbers."""
    if not len(of) or not len(docs):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    universe = _dense_universe(docs, of)
    if universe:  # one array over the universe: each number's place in `of` plus 1, 0 if absent
        places = np.zeros(universe, dtype=np.int64)
        places[of] = np.arange(1, len(of) + 1)
        where = places[docs]
        held = where > 0
        where -= held
        return held, where
    where = np.minimum(np.searchsorted(of, docs), len(of) - 1)
    return of[where] == docs, where


def contained(docs: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Mask over `docs` of those in `of` (both ascending, of non-negative numbers)."""
    if not len(of) or not len(docs):
        return np.zeros(len(docs), dtype=bool)
    universe = _dense_universe(docs, of)
    if universe:
        held = np.zeros(universe, dtype=bool)
        held[of] = True
        return held[docs]
    return of[np.minimum(np.searchsorted(of, docs), len(of) - 1)] == docs


def _dense_universe(docs: np.ndarray, of: np.ndarray) -> int:
    """The size of a mask over every number either holds when looking `docs` up in one is
    cheaper than binary searches in `of` (0 when not). A binary search costs a cache miss
    per step once `of` outgrows the caches: 300,000 document numbers looked up in 250,000
    take 10.5 ms by binary search, 0.8 ms through a mask over a million documents. A mask
    costs writing `of` into it: not worth it for a few numbers looked up in a long list,
    nor over a universe far larger than the lists (positions keyed by document << 32)."""
    universe = int(max(docs[-1], of[-1])) + 1
    if min(docs[0], of[0]) < 0 or len(of) > DENSE_LOOKUP * len(docs) \
            or universe > DENSE_UNIVERSE * (len(docs) + len(of)):
        return 0
    return universe


def intersection(parts: list[Match]) -> Match:
    """The documents every part matches, with the parts' scores summed in the parts' order
    (so a document's score is the same whichever part is smallest here, in one index or in a
    shard)."""
    if not parts:
        return EMPTY
    docs = min(parts, key=len).docs
    for part in parts:
        docs = docs[contained(docs, part.docs)]
    scores = np.zeros(len(docs))
    for part in parts:
        scores = scores + part.scores[members(docs, part.docs)[1]]
    return Match(docs, scores)


def difference(wanted: Match, unwanted: np.ndarray) -> Match:
    held = contained(wanted.docs, unwanted)
    return Match(wanted.docs[~held], wanted.scores[~held])


class Evaluator:
    """Evaluates queries against one generation's arrays, scored with the statistics of
    `collection` (searchsvc.collection: the generation's own, or those of every shard of a
    sharded index). `searcher()` gives a Whoosh searcher for the id terms (`id:`), the only
    ones Whoosh holds."""

    def __init__(self, generation: Generation, searcher=None,
                 collection: Collection | None = None):
        self.generation = generation
        self.collection = collection or GenerationCollection(generation)
        self._searcher = searcher
        self.size = generation.size
        # this index's documents holding a word, for every evaluator of the generation (a
        # server's threads): counting a common word's costs a millisecond or two
        self._holding: dict[tuple, int] = generation.word_counts
        self._agreed: dict[tuple, tuple[float, int]] = {}  # the words of the query run
        self._gathering: dict[int, tuple] = {}  # its typed words' terms, by node
        self._postings: dict[tuple[str, bytes], object] = {}  # its terms' postings
        self._phrases: dict[tuple, np.ndarray] = {}  # the documents holding its phrases
        self._stored: dict[int, object] = {}  # the articles it read
        self._kept = 0  # documents in them

    def run(self, q: query.Query, within: np.ndarray | None = None) -> Match:
        """Every live document `q` matches, restricted to the mask `within` if given."""
        self._gathering = {}
        self._agreed = dict(zip(*self._agree(q)))
        found = self.node(q)
        keep = np.asarray(self.generation.live)[found.docs]
        if within is not None:
            keep &= within[found.docs]
        if keep.all():
            return found
        return Match(found.docs[keep], found.scores[keep])

    def term(self, field: str, text: bytes, boost: float = 1.0) -> Match:
        """A text term's documents and scores under the weighting model, in one field (a
        field the query names, as in `title:volcano`)."""
        postings = self.postings(field, text)
        if not len(postings.docs):
            return EMPTY
        collection = self.collection
        frequency, doc_frequency = collection.statistics(field, text)
        weights = postings.tf.astype(np.float64) * FIELD_WEIGHTS[field]
        # the collection frequency is of the weights, as Whoosh counts it
        scores = term_scores(
            weights, self.generation.lengths[field][postings.docs],
            average_length=collection.average_length(field), documents=collection.size,
            frequency=int(frequency * FIELD_WEIGHTS[field]), doc_frequency=doc_frequency)
        if boost != 1.0:
            scores *= boost
        return Match(postings.docs, scores)

    def word(self, boosts: dict[tuple[str, bytes], float]) -> Match:
        """The index terms of one word (`boosts`: (field, term) -> boost; its term in each
        field and language, and its variants) scored as one term of one text, as BM25F
        combines fields, with In_expC2: in each document, the frequency of each term in each
        field, normalised by the field's length against the field's average, times the
        field's weight (FIELD_WEIGHTS) and the term's boost relative to the largest, summed
        before the saturation; the statistics are those of the whole collection (documents
        holding any of the terms, the weighted frequency of all: `word_statistics`). The
        largest boost weighs the score."""
        key = _word_key(boosts)
        statistics = self._agreed.get(key) or self.word_statistics([boosts])[0]
        boost, found = self._word_postings(boosts)
        if not found:
            return EMPTY
        generation, collection = self.generation, self.collection
        docs, parts = [], []
        for field, postings, weight in found:
            docs.append(postings.docs)
            factors = generation.length_factors(field, collection.average_length(field))
            parts.append(postings.tf * (FIELD_WEIGHTS[field] * weight / boost)
                         * factors[postings.docs])
        docs, tfn = summed(docs, parts, self.size)
        frequency, doc_frequency = statistics
        scores = informative_content(tfn, documents=collection.size, frequency=frequency,
                                     doc_frequency=doc_frequency)
        return Match(docs, scores * boost)

    def word_statistics(self, words: list[dict[tuple[str, bytes], float]],
                        counts: list[int] = ()) -> list[tuple[float, int]]:
        """(weighted frequency, documents holding it) in the whole collection of each word
        as `word` scores it (each a dict of boosts as `word` takes), for all of them in one
        exchange between the parts of the collection. The frequencies are the collection's
        per term; the documents holding any of a word's terms are counted in each part (the
        REMEMBERED_STATISTICS latest remembered: a common word's documents cost a merge) and
        summed. `counts`, this part's of other figures, are summed in the same exchange and
        follow the words' statistics, each a number."""
        collection = self.collection
        statistics, holding = [], []
        for boosts in words:
            boost = max(boosts.values(), default=0.0)
            statistics.append(sum(
                collection.statistics(field, text)[0]
                * FIELD_WEIGHTS[field] * weight / boost
                for (field, text), weight in boosts.items() if weight > 0))
            key = _word_key(boosts)
            count = self._holding.get(key)
            if count is None:
                _, found = self._word_postings(boosts)
                count = _union_size([p.docs for _, p, _ in found], self.size)
                if len(self._holding) >= REMEMBERED_STATISTICS:
                    self._holding.clear()
                self._holding[key] = count
            holding.append(count)
        if not words and not counts:
            return []
        summed = collection.combine("sum", np.asarray([*holding, *counts],
                                                      dtype=np.int64)).tolist()
        return list(zip(statistics, summed)) + summed[len(words):]

    def _agree(self, q: query.Query) -> tuple[list[tuple], list[tuple[float, int]]]:
        """(keys, statistics) of every word `q` scores with `word`, gathered at once."""
        words = {}
        for node in _inner_nodes(q):
            if isinstance(node, AcrossFields):
                terms, phrases, _ = self._gathered(node)
                for boosts in ([terms] if terms else []) + [
                        {(field, text): boost for field, boost in fields.items()}
                        for (texts, _), fields in phrases.items() for text in texts]:
                    words.setdefault(_word_key(boosts), boosts)
        return list(words), self.word_statistics(list(words.values()))

    def _word_postings(self, boosts: dict[tuple[str, bytes], float]):
        """(largest boost, [(field, postings, boost)] of the terms found)."""
        boost = max(boosts.values(), default=0.0)
        return boost, [(field, postings, weight) for (field, text), weight in boosts.items()
                       if weight > 0 and len((postings := self.postings(field, text)).docs)]

    def postings(self, field: str, text: bytes):
        """A text term's postings (searchsvc.generation.Postings), kept until `forget()` or
        until REMEMBERED_POSTINGS documents are kept (related articles and suggestions read
        terms without a search to forget them): a search reads its terms' for the variants,
        the statistics, the scores and the bonuses."""
        key = (field, text)
        found = self._postings.get(key)
        if found is None:
            found = self.generation.postings(field, text)
            self._kept += len(found.docs)
            if self._kept > REMEMBERED_POSTINGS:
                self.forget()
                self._kept = len(found.docs)
            self._postings[key] = found
        return found

    def forget(self) -> None:
        """Let the postings, phrases and articles read so far go (a search starts)."""
        self._postings, self._kept, self._phrases, self._stored = {}, 0, {}, {}

    def stored(self, docnum: int):
        """A stored article's text (searchsvc.segments.StoredText), kept until `forget()`
        (the typed-form bonus reads the best 20, the page shows 10 of them) or until
        REMEMBERED_ARTICLES are kept."""
        found = self._stored.get(docnum)
        if found is None:
            if len(self._stored) >= REMEMBERED_ARTICLES:
                self._stored = {}
            found = self._stored[docnum] = self.generation.stored(docnum)
        return found

    def term_docs(self, field: str, text: bytes) -> np.ndarray:
        """The documents holding a text term (deleted ones included), scores aside."""
        return self.postings(field, text).docs

    def holding(self, q: query.Query, docnums: np.ndarray) -> np.ndarray:
        """Which of `docnums` (ascending) `q` matches, scores aside: for words (terms in
        alternatives) straight from their postings."""
        matched = np.zeros(self.size, dtype=bool)
        leaves = [q] if q.is_leaf() else list(q.leaves())
        if all(isinstance(leaf, query.Term) and leaf.fieldname in TEXT_FIELDS
               or leaf is query.NullQuery for leaf in leaves) \
                and all(isinstance(node, query.Or) for node in _inner_nodes(q)):
            for leaf in leaves:
                if leaf is not query.NullQuery:
                    matched[self.term_docs(leaf.fieldname, _bytes(leaf.text))] = True
        elif isinstance(q, AcrossFields):  # a typed phrase or pattern: its words unscored
            terms, phrases, others = self._gathered(q)
            for (field, text), boost in terms.items():
                if boost > 0:
                    matched[self.term_docs(field, text)] = True
            for (texts, slop), fields in phrases.items():
                for field in fields:
                    matched[self._phrase_docs(field, texts, slop)] = True
            for node, _ in others:
                matched[self.node(node).docs] = True
        else:
            matched[self.node(q).docs] = True
        return matched[docnums]

    def mask(self, q: query.Query) -> np.ndarray:
        """The documents a filter query admits, as a mask (scores aside)."""
        mask = np.zeros(self.size, dtype=bool)
        mask[self.node(q).docs] = True
        return mask

    def node(self, q: query.Query) -> Match:
        kind = type(q)
        if isinstance(q, AcrossFields):
            return self._across_fields(q)
        if isinstance(q, query.Term) and kind is not query.FuzzyTerm:
            return self._term(q)
        if isinstance(q, query.Or):
            return self._or(q)
        if isinstance(q, query.And):
            found = intersection([self.node(child) for child in q.subqueries])
            return _boosted(found, q.boost)
        if kind is query.AndNot:
            return difference(self.node(q.a), self.node(q.b).docs)
        if kind is query.AndMaybe:
            wanted = self.node(q.a)
            optional = self.node(q.b)
            held, where = members(wanted.docs, optional.docs)
            scores = wanted.scores.copy()
            scores[held] += optional.scores[where[held]]
            return Match(wanted.docs, scores)
        if kind is query.Not:
            # Whoosh's InverseMatcher scores every document it matches 1
            excluded = np.zeros(self.size, dtype=bool)
            excluded[self.node(q.query).docs] = True
            docs = np.flatnonzero(~excluded)
            return Match(docs, np.full(len(docs), float(q.boost)))
        if kind is query.Phrase:
            return self._phrase(q)
        if isinstance(q, (query.Prefix, query.Wildcard, query.Regex, query.TermRange)) \
                and q.fieldname in TEXT_FIELDS:
            words = pattern_terms(self.collection, q, MAX_PATTERN_CANDIDATES)
            return union([self.term(q.fieldname, word, q.boost) for word in words], self.size)
        if isinstance(q, query.NumericRange) and q.fieldname == "date":
            return self._dates(q)
        if kind is query.Every:
            docs = np.arange(self.size, dtype=np.int64)
            return Match(docs, np.full(self.size, float(q.boost)))
        if q is query.NullQuery or kind is type(query.NullQuery):
            return EMPTY
        raise QueryError(f"this kind of query is not supported: {q}")

    def _across_fields(self, q: AcrossFields) -> Match:
        """A typed word's terms (patterns expanded) scored as one (`word`); a typed phrase
        in any field as the sum of its words so scored; anything else as Whoosh would."""
        terms, phrases, others = self._gathered(q)
        found = [self.word(terms)] if terms else []
        for (texts, slop), fields in phrases.items():
            docs = _merged([self._phrase_docs(field, texts, slop) for field in fields])
            words = [self.word({(field, text): boost for field, boost in fields.items()})
                     for text in texts]
            found.append(intersection([Match(docs, np.zeros(len(docs))), *words]))
        return union(found + [_boosted(self.node(node), boost) for node, boost in others],
                     self.size)

    def _gathered(self, q: AcrossFields):
        """(terms: (field, term) -> boost, phrases: (words, slop) -> field -> boost, others:
        [(node, boost)]) of a typed word, its patterns expanded in the whole collection;
        remembered for the query run."""
        if id(q) in self._gathering:
            return self._gathering[id(q)][1]
        terms: dict[tuple[str, bytes], float] = {}
        phrases: dict[tuple[tuple[bytes, ...], int], dict[str, float]] = {}
        others = []

        def collect(node: query.Query, boost: float) -> None:
            boost *= node.boost
            if type(node) is query.Term and node.fieldname in TEXT_FIELDS:
                key = (node.fieldname, _bytes(node.text))
                terms[key] = terms.get(key, 0.0) + boost
            elif isinstance(node, (query.Prefix, query.Wildcard)) \
                    and node.fieldname in TEXT_FIELDS:
                for text in pattern_terms(self.collection, node, MAX_PATTERN_CANDIDATES):
                    terms[node.fieldname, text] = terms.get((node.fieldname, text), 0.0) + boost
            elif type(node) is query.Phrase and node.fieldname in TEXT_FIELDS and node.words:
                fields = phrases.setdefault((tuple(map(_bytes, node.words)), node.slop), {})
                fields[node.fieldname] = fields.get(node.fieldname, 0.0) + boost
            elif isinstance(node, query.Or):
                for child in node.subqueries:
                    collect(child, boost)
            else:
                others.append((node, boost))

        collect(q, 1.0)
        self._gathering[id(q)] = (q, (terms, phrases, others))  # q kept: its id stays its own
        return terms, phrases, others

    def _or(self, q: query.Or) -> Match:
        """A union, nested unions flattened (their boosts multiplied through, as the sums of
        scores come out the same), so the matched documents are gathered once; a typed word
        is scored as one (`_across_fields`)."""
        parts = []

        def collect(node: query.Query, boost: float) -> None:
            if isinstance(node, query.Or) and not isinstance(node, AcrossFields):
                for child in node.subqueries:
                    collect(child, boost * node.boost)
            elif type(node) is query.Term and node.fieldname in TEXT_FIELDS:
                parts.append(self.term(node.fieldname, _bytes(node.text), boost * node.boost))
            else:
                parts.append(_boosted(self.node(node), boost))

        collect(q, 1.0)
        return union(parts, self.size)

    def _term(self, q: query.Term) -> Match:
        field = q.fieldname
        if field in TEXT_FIELDS:
            return self.term(field, _bytes(q.text), q.boost)
        if field in ("source", "language"):
            codes, values = self.generation.columns[field]
            wanted = [code for code, value in enumerate(values)
                      if value and _matches_value(field, value, q.text)]
            docs = np.flatnonzero(np.isin(codes, wanted)) if wanted else _EMPTY_DOCS
            return Match(docs, np.zeros(len(docs)))
        if field == "id" and self._searcher is not None:
            docnum = self._searcher().document_number(id=q.text)
            docs = np.asarray([docnum] if docnum is not None else [], dtype=np.int64)
            return Match(docs, np.zeros(len(docs)))
        return EMPTY

    def _dates(self, q: query.NumericRange) -> Match:
        dates = np.asarray(self.generation.dates)
        mask = dates != NO_DATE
        start, end = _bounds(q)
        if start is not None:
            mask &= dates >= start.toordinal() + (1 if q.startexcl else 0)
        if end is not None:
            mask &= dates <= end.toordinal() - (1 if q.endexcl else 0)
        docs = np.flatnonzero(mask)
        return Match(docs, np.zeros(len(docs)))

    def _phrase(self, q: query.Phrase) -> Match:
        """A phrase in one field: the documents holding it (`_phrase_docs`), scored as the
        sum of its words' scores."""
        if q.fieldname not in TEXT_FIELDS or not q.words:
            return EMPTY
        texts = tuple(map(_bytes, q.words))
        docs = self._phrase_docs(q.fieldname, texts, q.slop)
        words = [self.term(q.fieldname, text) for text in texts]
        found = intersection([Match(docs, np.zeros(len(docs))), *words])
        return _boosted(found, q.boost)

    def _phrase_docs(self, field: str, texts: tuple[bytes, ...], slop: int) -> np.ndarray:
        """The documents holding the words in order in `field`, each within `slop` words of
        the one before (Whoosh's SpanNear2 with mindist 1)."""
        if slop > MAX_PHRASE_SLOP:
            raise QueryError(f"a phrase may allow at most {MAX_PHRASE_SLOP} words between "
                             f"its words (~{MAX_PHRASE_SLOP})")
        key = (field, texts, slop)
        if key in self._phrases:  # (a search asks again for which articles hold its words)
            return self._phrases[key]
        self._phrases[key] = found = self._find_phrase(field, texts, slop)
        return found

    def _find_phrase(self, field: str, texts: tuple[bytes, ...], slop: int) -> np.ndarray:
        holding = [self.term_docs(field, text) for text in texts]
        if any(not len(docs) for docs in holding):
            return _EMPTY_DOCS
        candidates = intersection([Match(docs.astype(np.int64), np.zeros(len(docs)))
                                   for docs in holding]).docs
        ends = None
        for text in texts:
            keys = self.generation.occurrences(field, text, candidates)
            if ends is None:
                ends = keys
                continue
            follows = np.zeros(len(keys), dtype=bool)
            for distance in range(1, max(slop, 1) + 1):
                follows |= contained(keys - distance, ends)
            ends = keys[follows]
        return _distinct(ends >> 32)


def pattern_terms(generation, q: query.Query, limit: int) -> list[bytes]:
    """The index terms a prefix, wildcard, regular expression or term range stands for
    (`generation`: a Generation or a searchsvc.collection.Collection: the terms of the
    whole collection)."""
    field = q.fieldname
    if isinstance(q, query.TermRange):
        low = q.start.encode("utf-8") if q.start else None
        high = q.end.encode("utf-8") if q.end else None
        found = generation.terms_between(field, low, high, limit + 1)
        if q.startexcl and low:
            found = [word for word in found if word != low]
        if q.endexcl and high:
            found = [word for word in found if word != high]
        return found
    text = q.text.lower()
    if isinstance(q, query.Prefix):
        return generation.terms_from(field, text.encode("utf-8"), limit + 1)
    pattern = re.compile(fnmatch.translate(text) if isinstance(q, query.Wildcard) else text)
    candidates = generation.terms_from(field, q._find_prefix(text).encode("utf-8"),
                                       MAX_PATTERN_CANDIDATES)
    return [word for word in candidates if pattern.match(word.decode("utf-8"))][:limit + 1]


def _matches_value(field: str, value: str, wanted: str) -> bool:
    """Whether a document's source or language `value` answers a clause's `wanted` text:
    a source matches any of its comma-separated names, case aside."""
    wanted = wanted.lower()
    if field == "source":
        return wanted in (part.strip().lower() for part in value.split(","))
    return value.lower() == wanted


def _bounds(q: query.NumericRange):
    """The (start, end) datetimes of a date range (None where open)."""
    if isinstance(q, query.DateRange):
        return q.startdate, q.enddate
    return tuple(None if value is None else long_to_datetime(value)
                 for value in (q.start, q.end))


def wanted_leaves(q: query.Query) -> list[query.Query]:
    """The leaves of `q` outside its NOT parts."""
    if isinstance(q, query.AndNot):
        return wanted_leaves(q.a)
    if isinstance(q, query.Not):
        return []
    if q.is_leaf():
        return [q]
    return [leaf for child in q.children() for leaf in wanted_leaves(child)]


def _inner_nodes(q: query.Query):
    if not q.is_leaf():
        yield q
        for child in q.children():
            yield from _inner_nodes(child)


def _word_key(boosts: dict[tuple[str, bytes], float]) -> tuple:
    return tuple(sorted(boosts.items()))


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _merged(arrays: list[np.ndarray]) -> np.ndarray:
    """The ascending union of ascending document numbers. A stable sort of the concatenated
    runs merges them in linear time; np.unique would hash them first (numpy 2: 20 ms for
    100,000 documents, against 0.3 ms)."""
    if len(arrays) == 1:
        return arrays[0].astype(np.int64)
    return _distinct(np.sort(np.concatenate(arrays).astype(np.int64), kind="stable"))


def _union_size(arrays: list[np.ndarray], size: int) -> int:
    """How many documents (numbered below `size`) the ascending `arrays` hold between them:
    the longest's and those of the others it lacks, when it is SEARCHED_FACTOR times as long
    as the others together (a common word's headline postings are looked up in its text's:
    "compani" at a million articles, 4,400 in 497,000, 0.26 ms where a mask of both took
    1.7); else counted in a mask when they are long (6.8 ms merged), else merged."""
    if len(arrays) < 2:
        return len(arrays[0]) if arrays else 0
    longest = max(range(len(arrays)), key=lambda number: len(arrays[number]))
    others = arrays[:longest] + arrays[longest + 1:]
    if sum(map(len, others)) * SEARCHED_FACTOR <= len(arrays[longest]):
        rest = others[0] if len(others) == 1 else _merged(others)
        return len(arrays[longest]) + len(rest) - int(np.count_nonzero(
            contained(rest, arrays[longest])))
    if sum(map(len, arrays)) * DENSE_FACTOR > size:
        held = np.zeros(size, dtype=bool)
        for docs in arrays:
            held[docs] = True
        return int(np.count_nonzero(held))
    return len(_merged(arrays))


def _merged_with_positions(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(the ascending union of ascending document numbers, where each number of the arrays
    concatenated is in it): a stable argsort merges the runs, without a binary search."""
    joined = np.concatenate(arrays).astype(np.int64)
    order = np.argsort(joined, kind="stable")
    ascending = joined[order]
    first = np.empty(len(ascending), dtype=bool)
    first[0] = True
    np.not_equal(ascending[1:], ascending[:-1], out=first[1:])
    where = np.empty(len(joined), dtype=np.int64)
    where[order] = np.cumsum(first) - 1
    return ascending[first], where


def _distinct(ascending: np.ndarray) -> np.ndarray:
    """An ascending array without its repeats."""
    if len(ascending) < 2:
        return ascending
    keep = np.empty(len(ascending), dtype=bool)
    keep[0] = True
    np.not_equal(ascending[1:], ascending[:-1], out=keep[1:])
    return ascending[keep]


def _boosted(found: Match, boost: float) -> Match:
    return found if boost == 1.0 else Match(found.docs, found.scores * boost)
