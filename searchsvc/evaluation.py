"""Queries evaluated over the generation's arrays, touching only the documents that match.

A query (a tree of Whoosh query objects, searchsvc.querying) is evaluated bottom-up into a
`Match`: the ascending numbers of the documents it matches and their scores. A term is a
slice of its postings, scored with the weighting model in one vectorised step; an OR sums
its parts' scores (through a dense accumulator when the parts are large, by sorting when
they are small), an AND keeps the documents all parts hold and sums their scores, a phrase
checks word positions in the documents that hold every word. Nodes combine scores the way
Whoosh's matchers do (Or and And add, AndNot keeps the left side's, AndMaybe adds the right
side's where the left matched, a phrase scores the sum of its words'), so the ranking is the
one Whoosh would give for the same postings. Field clauses (`source:`, `language:`, dates)
are read from per-document columns and score nothing.
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
from .generation import FIELD_BOOSTS, Generation
from .segments import NO_DATE, TEXT_FIELDS
from .weighting import term_scores

MAX_PHRASE_SLOP = 1000
MAX_PATTERN_CANDIDATES = 100_000
"""Index terms a wildcard's literal prefix may select before its pattern is applied."""
DENSE_FACTOR = 8
"""A union over more postings than 1/DENSE_FACTOR of the documents sums into a dense array."""

_EMPTY_DOCS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Match:
    """What a query matched: ascending document numbers and each one's score."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


EMPTY = Match(_EMPTY_DOCS, np.zeros(0))


def union(parts: list[Match], size: int) -> Match:
    """The documents any part matches, with the parts' scores summed."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    docs = np.concatenate([part.docs for part in parts])
    scores = np.concatenate([part.scores for part in parts])
    if len(docs) * DENSE_FACTOR > size:
        matched = np.zeros(size, dtype=bool)
        matched[docs] = True
        found = np.flatnonzero(matched)
        return Match(found, np.bincount(docs, weights=scores, minlength=size)[found])
    found, inverse = np.unique(docs, return_inverse=True)
    return Match(found, np.bincount(inverse.reshape(-1), weights=scores, minlength=len(found)))


def members(docs: np.ndarray, of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask over `docs` of those in `of`, where each found one is in `of`); both ascending."""
    if not len(of) or not len(docs):
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    where = np.minimum(np.searchsorted(of, docs), len(of) - 1)
    return of[where] == docs, where


def intersection(parts: list[Match]) -> Match:
    """The documents every part matches, with the parts' scores summed in the parts' order
    (so a document's score is the same whichever part is smallest here, in one index or in a
    shard)."""
    if not parts:
        return EMPTY
    docs = min(parts, key=len).docs
    for part in parts:
        docs = docs[members(docs, part.docs)[0]]
    scores = np.zeros(len(docs))
    for part in parts:
        scores = scores + part.scores[members(docs, part.docs)[1]]
    return Match(docs, scores)


def difference(wanted: Match, unwanted: np.ndarray) -> Match:
    held, _ = members(wanted.docs, unwanted)
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

    def run(self, q: query.Query, within: np.ndarray | None = None) -> Match:
        """Every live document `q` matches, restricted to the mask `within` if given."""
        found = self.node(q)
        keep = np.asarray(self.generation.live)[found.docs]
        if within is not None:
            keep &= within[found.docs]
        if keep.all():
            return found
        return Match(found.docs[keep], found.scores[keep])

    def term(self, field: str, text: bytes, boost: float = 1.0) -> Match:
        """A text term's documents and scores under the weighting model."""
        postings = self.generation.postings(field, text)
        if not len(postings.docs):
            return EMPTY
        collection = self.collection
        frequency, doc_frequency = collection.statistics(field, text, postings)
        weights = postings.tf.astype(np.float64) * FIELD_BOOSTS[field]
        # the collection frequency is of the weights, as Whoosh counts it
        scores = term_scores(
            weights, self.generation.lengths[field][postings.docs],
            average_length=collection.average_length(field), documents=collection.size,
            frequency=int(frequency * FIELD_BOOSTS[field]), doc_frequency=doc_frequency)
        if boost != 1.0:
            scores *= boost
        return Match(postings.docs, scores)

    def term_docs(self, field: str, text: bytes) -> np.ndarray:
        """The documents holding a text term (deleted ones included), scores aside."""
        return self.generation.postings(field, text).docs

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

    def _or(self, q: query.Or) -> Match:
        """A union, nested unions flattened (their boosts multiplied through, as the sums of
        scores come out the same), so the matched documents are gathered once."""
        parts = []

        def collect(node: query.Query, boost: float) -> None:
            if isinstance(node, query.Or):
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
        """Documents holding the words in order, each within `slop` words of the one before
        (Whoosh's SpanNear2 with mindist 1), scored as the sum of the words' scores."""
        if q.fieldname not in TEXT_FIELDS or not q.words:
            return EMPTY
        if q.slop > MAX_PHRASE_SLOP:
            raise QueryError(f"a phrase may allow at most {MAX_PHRASE_SLOP} words between "
                             f"its words (~{MAX_PHRASE_SLOP})")
        texts = [w if isinstance(w, bytes) else w.encode("utf-8") for w in q.words]
        words = [self.term(q.fieldname, text) for text in texts]
        if any(not len(word) for word in words):
            return EMPTY
        candidates = intersection([Match(word.docs, np.zeros(len(word))) for word in words]).docs
        ends = None
        for text in texts:
            keys = self.generation.occurrences(q.fieldname, text, candidates)
            if ends is None:
                ends = keys
                continue
            follows = np.zeros(len(keys), dtype=bool)
            for distance in range(1, max(q.slop, 1) + 1):
                follows |= members(keys - distance, ends)[0]
            ends = keys[follows]
        docs = np.unique(ends >> 32)
        found = intersection([Match(docs, np.zeros(len(docs))), *words])
        return _boosted(found, q.boost)


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


def _inner_nodes(q: query.Query):
    if not q.is_leaf():
        yield q
        for child in q.children():
            yield from _inner_nodes(child)


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _boosted(found: Match, boost: float) -> Match:
    return found if boost == 1.0 else Match(found.docs, found.scores * boost)
