"""Queries evaluated over postings held as arrays, every document at once.

Whoosh scores one posting at a time through a tree of matcher objects, a few microseconds
each: a sentence query on Reuters touches 30,000 postings and took 40-300 ms, however few
results were shown. Here each term's postings are read from the Whoosh index once per index
generation and kept as two arrays (document numbers, scores under the weighting model); a
query is then a handful of numpy operations over all documents: a union is a sum of scores,
an intersection a product of masks. The scores are the weighting model's own, and query
nodes combine them as Whoosh's matchers do (Or and And add, AndNot keeps the left side's,
AndMaybe adds the right side's where the left matched, a phrase scores the sum of its
words'), so the ranking is the one Whoosh would produce. Word positions and character
offsets are kept the same way, for phrases, the proximity bonus and snippets. Query types
without an array form here (ranges, phrases with a large slop, ...) are run by Whoosh's own
matchers and join the arrays from there.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import formats, query, scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

MAX_CACHED_POSTINGS = 6_000_000
"""Postings and word positions kept in memory per index generation (up to 12 bytes each:
~70 MB at most)."""
MAX_PHRASE_SLOP = 20
"""Phrases with a larger slop (`"a b"~50`) are left to Whoosh's matchers."""
_PATTERN_TERMS = (query.Prefix, query.Wildcard, query.Regex)

_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_MISSING_DATE = np.iinfo(np.int64).max


@dataclass
class Match:
    """What a query matched: `scores` over all document numbers (0 where not matched) and the
    mask of matched documents."""

    scores: np.ndarray
    matched: np.ndarray


@dataclass(frozen=True)
class TermPostings:
    docnums: np.ndarray
    """Ascending document numbers of the live documents holding the term."""
    scores: np.ndarray
    """The weighting model's score of the term in each of those documents."""


@dataclass(frozen=True)
class Occurrences:
    keys: np.ndarray
    """Sorted keys `document number << 32 | word position`."""
    starts: np.ndarray | None
    """Character offset of each occurrence's start and end (None if the field has none)."""
    ends: np.ndarray | None

    def of(self, docnums: np.ndarray) -> np.ndarray:
        """The keys of the occurrences in `docnums` (ascending; few, else use np.isin)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        low = np.searchsorted(self.keys, docnums << 32)
        high = np.searchsorted(self.keys, (docnums + 1) << 32)
        return np.concatenate([self.keys[a:b] for a, b in zip(low.tolist(), high.tolist())]
                              or [self.keys[:0]])

    def chars(self, docnum: int) -> list[tuple[int, int]]:
        """(start, end) character offsets of the occurrences in one document."""
        low, high = np.searchsorted(self.keys, [docnum << 32, (docnum + 1) << 32])
        return list(zip(self.starts[low:high].tolist(), self.ends[low:high].tolist()))


class Postings:
    """One index generation's postings and per-document columns as arrays, read on first use
    and shared by every thread searching that generation. Each thread reads through its own
    Searcher (Whoosh's file readers are not thread-safe); only the cache is shared."""

    def __init__(self, size: int, capacity: int = MAX_CACHED_POSTINGS):
        self.size = size
        self.capacity = capacity
        self._lock = threading.Lock()
        self._terms: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._held = 0
        self._columns: dict = {}

    def term(self, searcher, fieldname: str, text: bytes) -> TermPostings | None:
        """The term's postings with their scores; None when the weighting model has no array
        form for this field (the caller then lets Whoosh score it)."""
        key = (fieldname, text)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        scorer = searcher.weighting.scorer(searcher, fieldname, text)
        if isinstance(scorer, scoring.WeightScorer):
            score = None
        elif hasattr(scorer, "score_array"):
            score = scorer.score_array
        else:
            return None
        docnums, weights = _read_postings(searcher.reader(), fieldname, text)
        live = self.live(searcher)
        keep = live[docnums]
        if not keep.all():
            docnums, weights = docnums[keep], weights[keep]
        scores = weights if score is None else score(weights,
                                                     self.lengths(searcher, fieldname)[docnums])
        return self._keep(key, TermPostings(docnums.astype(np.int32), scores), len(docnums))

    def positions(self, searcher, fieldname: str, text: bytes) -> np.ndarray:
        """Every occurrence of a term in the live documents as a sorted array of keys
        `document number << 32 | word position`, for phrases and proximity."""
        return self.occurrences(searcher, fieldname, text).keys

    def occurrences(self, searcher, fieldname: str, text: bytes) -> "Occurrences":
        """Every occurrence of a term in the live documents: word positions and, in fields
        that store them, character offsets (for snippets without analysing the text)."""
        key = ("occurrences", fieldname, text)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        found = _read_occurrences(searcher.reader(), fieldname, text)
        live = self.live(searcher)[found.keys >> 32]
        if not live.all():
            found = Occurrences(found.keys[live], *(None if chars is None else chars[live]
                                                    for chars in (found.starts, found.ends)))
        return self._keep(key, found, len(found.keys))

    def _keep(self, key, found, size: int):
        with self._lock:
            if key not in self._terms:
                self._terms[key] = found
                self._sizes[key] = size
                self._held += size
                while self._held > self.capacity and len(self._terms) > 1:
                    dropped, _ = self._terms.popitem(last=False)
                    self._held -= self._sizes.pop(dropped)
        return found

    def live(self, searcher) -> np.ndarray:
        """Mask of the documents not deleted."""
        return self._column("live", lambda: _live(searcher.reader(), self.size))

    def lengths(self, searcher, fieldname: str) -> np.ndarray:
        """Each document's length in `fieldname`, as Whoosh stores it (quantised to a byte)."""
        return self._column(("lengths", fieldname),
                            lambda: _lengths(searcher.reader(), fieldname, self.size))

    def dates(self, searcher, fieldname: str) -> np.ndarray:
        """Each document's date as Whoosh's integer ticks; _MISSING_DATE where it has none."""
        return self._column(("dates", fieldname),
                            lambda: _dates(searcher.reader(), fieldname, self.size))

    def codes(self, searcher, fieldname: str) -> tuple[np.ndarray, list]:
        """A sortable field's value in each document as an integer code, and the distinct
        values by code; code 0 stands for none."""
        return self._column(("codes", fieldname),
                            lambda: _codes(searcher.reader(), fieldname, self.size))

    def _column(self, key, build):
        with self._lock:
            found = self._columns.get(key)
        if found is None:
            found = build()
            with self._lock:
                self._columns.setdefault(key, found)
        return found


class Evaluator:
    """Runs queries for one thread's Searcher against a generation's `Postings`."""

    def __init__(self, searcher, postings: Postings):
        self.searcher = searcher
        self.postings = postings
        self.size = postings.size

    def run(self, q: query.Query, within: np.ndarray | None = None) -> Match:
        """Every live document `q` matches, restricted to the mask `within` if given."""
        found = self._node(q)
        matched = found.matched & self.postings.live(self.searcher)
        if within is not None:
            matched &= within
        return Match(np.where(matched, found.scores, 0.0), matched)

    def term_docnums(self, fieldname: str, text: bytes) -> np.ndarray:
        """Document numbers of the live documents holding a term (scores left aside)."""
        if (fieldname, text) not in self.searcher.reader():
            return np.zeros(0, dtype=np.int32)
        found = self.postings.term(self.searcher, fieldname, text)
        if found is not None:
            return found.docnums
        return np.flatnonzero(self._node(query.Term(fieldname, text)).matched)

    def filter_mask(self, q: query.Query) -> np.ndarray:
        """The documents a filter query admits, scores aside; date ranges on a sortable field
        are compared with the field's column instead of expanding into range terms."""
        if type(q) is query.And:
            mask = np.ones(self.size, dtype=bool)
            for child in q.subqueries:
                mask &= self.filter_mask(child)
            return mask
        if isinstance(q, query.DateRange) and self.searcher.schema[q.fieldname].column_type:
            dates = self.postings.dates(self.searcher, q.fieldname)
            mask = dates != _MISSING_DATE
            if q.start is not None:
                mask &= dates >= q.start  # Whoosh's ticks already
            if q.end is not None:
                mask &= dates <= q.end
            return mask
        return self._node(q).matched

    def _node(self, q: query.Query) -> Match:
        kind = type(q)
        if kind is query.Term:
            return self._or(query.Or([q]))
        if kind is query.Or and not q.minmatch and q.scale is None:
            return self._or(q)
        if kind is query.And:
            parts = [self._node(child) for child in q.subqueries]
            matched = np.logical_and.reduce([part.matched for part in parts])
            scores = np.add.reduce([part.scores for part in parts]) * q.boost
            return Match(np.where(matched, scores, 0.0), matched)
        if kind is query.AndNot:
            wanted, unwanted = self._node(q.a), self._node(q.b)
            matched = wanted.matched & ~unwanted.matched
            return Match(np.where(matched, wanted.scores, 0.0), matched)
        if kind is query.AndMaybe:
            wanted, optional = self._node(q.a), self._node(q.b)
            return Match(np.where(wanted.matched, wanted.scores + optional.scores, 0.0),
                         wanted.matched)
        if kind is query.Phrase and q.slop <= MAX_PHRASE_SLOP:
            return self._phrase(q)
        if kind in _PATTERN_TERMS:
            words = [word for word in q._btexts(self.searcher.reader()) if word]
            return self._or(query.Or([query.Term(q.fieldname, word) for word in words],
                                     boost=q.boost))
        if kind is query.Not:
            # Whoosh's InverseMatcher scores every document it matches 1
            matched = ~self._node(q.query).matched
            return Match(np.where(matched, q.boost, 0.0), matched)
        if kind is query.NullQuery.__class__:
            return self._empty()
        return self._whoosh(q)

    def _phrase(self, q: query.Phrase) -> Match:
        """Documents holding the words in order, each within `slop` words of the one before
        (Whoosh's SpanNear2 with mindist 1), scored as the sum of the words' scores."""
        if q.fieldname not in self.searcher.schema:
            return self._empty()
        words = [query.Term(q.fieldname, word) for word in q.words]
        postings = [self._term(word) for word in words]
        if any(found is None for found in postings):
            return self._whoosh(q)
        if not words or any(not len(found.docnums) for found in postings):
            return self._empty()
        candidates = postings[0].docnums
        for found in postings[1:]:
            candidates = np.intersect1d(candidates, found.docnums, assume_unique=True)
        schema = self.searcher.schema
        ends = None
        for word in words:
            keys = self.postings.positions(self.searcher, q.fieldname,
                                           schema[q.fieldname].to_bytes(word.text))
            keys = keys[np.isin(keys >> 32, candidates)]
            if ends is None:
                ends = keys
                continue
            follows = np.zeros(len(keys), dtype=bool)
            for distance in range(1, max(q.slop, 1) + 1):
                follows |= np.isin(keys - distance, ends)
            ends = keys[follows]
        found = self._empty()
        docnums = np.unique(ends >> 32)
        found.matched[docnums] = True
        for term in postings:
            scores = np.zeros(self.size)
            scores[term.docnums] = term.scores
            found.scores[docnums] += scores[docnums]
        found.scores *= q.boost
        return found

    def _or(self, q: query.Or) -> Match:
        scores = np.zeros(self.size)
        matched = np.zeros(self.size, dtype=bool)
        for child in q.subqueries:
            if type(child) is query.Term:
                found = self._term(child)
                if found is not None:
                    scores[found.docnums] += found.scores * child.boost
                    matched[found.docnums] = True
                    continue
            part = self._whoosh(child) if type(child) is query.Term else self._node(child)
            scores += part.scores
            matched |= part.matched
        if q.boost != 1.0:
            scores *= q.boost
        return Match(scores, matched)

    def _term(self, q: query.Term) -> TermPostings | None:
        schema = self.searcher.schema
        if q.fieldname not in schema:
            return TermPostings(np.zeros(0, dtype=np.int32), np.zeros(0))
        try:
            text = schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            return TermPostings(np.zeros(0, dtype=np.int32), np.zeros(0))
        if (q.fieldname, text) not in self.searcher.reader():
            return TermPostings(np.zeros(0, dtype=np.int32), np.zeros(0))
        return self.postings.term(self.searcher, q.fieldname, text)

    def _whoosh(self, q: query.Query) -> Match:
        """Any other query node, matched and scored by Whoosh, segment by segment."""
        docnums, scores = [], []
        subsearchers = ([(self.searcher, 0)] if self.searcher.is_atomic()
                        else self.searcher.subsearchers)
        for subsearcher, offset in subsearchers:
            matcher = q.matcher(subsearcher, subsearcher.context())
            while matcher.is_active():
                docnums.append(matcher.id() + offset)
                scores.append(matcher.score())
                matcher.next()
        found = self._empty()
        if docnums:
            found.scores[docnums] = scores
            found.matched[docnums] = True
        return found

    def _empty(self) -> Match:
        return Match(np.zeros(self.size), np.zeros(self.size, dtype=bool))


def top(key: np.ndarray, ties: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` largest `key` values, largest first, equal keys by `ties`
    ascending (document numbers: Whoosh's order for equal scores)."""
    if count < len(key):
        # the count-th largest key; among the keys equal to it, the first by `ties` get in
        kth = -np.partition(-key, count - 1)[count - 1]
        above = np.flatnonzero(key > kth)
        level = np.flatnonzero(key == kth)
        level = level[np.argsort(ties[level], kind="stable")][:count - len(above)]
        chosen = np.concatenate([above, level])
    else:
        chosen = np.arange(len(key))
    return chosen[np.lexsort((ties[chosen], -key[chosen]))]


def _segment_postings(reader, fieldname: str, text: bytes):
    """(postings matcher, first document number) of a term in each segment holding it, with
    the segment's deleted documents (the callers drop them with the `live` mask)."""
    for segment, offset in reader.leaf_readers():
        if (fieldname, text) in segment:
            matcher = segment.postings(fieldname, text)
            yield (matcher.child if isinstance(matcher, FilterMatcher) else matcher), offset


def _read_postings(reader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of a term across all segments, deleted documents
    included. Whoosh's block postings are read a block at a time."""
    docnums, weights = [], []
    for matcher, offset in _segment_postings(reader, fieldname, text):
        if isinstance(matcher, W3LeafMatcher):
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                docnums.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float64))
                matcher._next_block()
        else:
            ids, values = [], []
            while matcher.is_active():
                ids.append(matcher.id() + offset)
                values.append(matcher.weight())
                matcher.next()
            docnums.append(np.asarray(ids, dtype=np.int64))
            weights.append(np.asarray(values, dtype=np.float64))
    if not docnums:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(docnums), np.concatenate(weights)


def _read_occurrences(reader, fieldname: str, text: bytes) -> Occurrences:
    """A term's occurrences across all segments, deleted documents included."""
    docnums, counts, entries = [], [], []
    format_ = reader.schema[fieldname].format
    chars = isinstance(format_, formats.Characters)
    decode = format_.decode_characters if chars else format_.decode_positions
    for matcher, offset in _segment_postings(reader, fieldname, text):
        while matcher.is_active():
            found = decode(matcher.value())
            docnums.append(matcher.id() + offset)
            counts.append(len(found))
            entries.extend(found)
            matcher.next()
    documents = np.repeat(np.asarray(docnums, dtype=np.int64), counts) << 32
    if not chars:
        return Occurrences(documents | np.asarray(entries, dtype=np.int64), None, None)
    table = np.asarray(entries, dtype=np.int64).reshape(-1, 3)
    return Occurrences(documents | table[:, 0], table[:, 1].astype(np.int32),
                       table[:, 2].astype(np.int32))


def _live(reader, size: int) -> np.ndarray:
    if not reader.has_deletions():
        return np.ones(size, dtype=bool)
    live = np.zeros(size, dtype=bool)
    live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
    return live


def _lengths(reader, fieldname: str, size: int) -> np.ndarray:
    parts = []
    for segment, _ in reader.leaf_readers():
        count = segment.doc_count_all()
        column = None
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is not None and hasattr(perdoc, "_cached_reader"):
            column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            parts.append(np.array([segment.doc_field_length(d, fieldname, 0) or 0
                                   for d in range(count)], dtype=np.float64))
        else:
            parts.append(_LENGTHS[np.asarray(column.load(), dtype=np.uint8)])
    lengths = np.concatenate(parts) if parts else np.zeros(0)
    assert len(lengths) == size
    return lengths


def _dates(reader, fieldname: str, size: int) -> np.ndarray:
    parts = []
    for segment, _ in reader.leaf_readers():
        count = segment.doc_count_all()
        if not segment.has_column(fieldname):
            parts.append(np.full(count, _MISSING_DATE, dtype=np.int64))
            continue
        column = segment.column_reader(fieldname, translate=False)
        values = np.fromiter((column[d] for d in range(count)), dtype=np.uint64, count=count)
        missing = values > np.uint64(_MISSING_DATE)
        values = values.astype(np.int64)
        values[missing] = _MISSING_DATE
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(size, dtype=np.int64)


def _codes(reader, fieldname: str, size: int) -> tuple[np.ndarray, list]:
    # Segment by segment, raw: Whoosh's multi-segment column reader leaves out the segments
    # that lack the column (no article there had a date, say), shifting all that follow, and
    # translating every value costs more than reading it.
    field = reader.schema[fieldname]
    distinct: list = [None]
    index: dict = {}
    codes: list[int] = []
    for segment, _ in reader.leaf_readers():
        if not segment.has_column(fieldname):
            codes.extend([0] * segment.doc_count_all())
            continue
        for raw in segment.column_reader(fieldname, translate=False):
            code = index.get(raw)
            if code is None:
                value = field.from_column_value(raw) if raw else None
                code = index[raw] = len(distinct) if value else 0
                if value:
                    distinct.append(value)
            codes.append(code)
    assert len(codes) == size
    return np.asarray(codes, dtype=np.int32), distinct
