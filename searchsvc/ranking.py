"""How results are ordered by relevance: the weighting model, a bonus for query words found
near each other, and the reordering that puts articles with every word of a keyword query
first.

Measured on the TIME collection with bench/relevance.py; the figures for each choice are in
the docstrings below.
"""

import bisect
import math
import re

from whoosh import query, scoring

from .schema import all_text_fields, build_schema

TITLE_WEIGHT = 0.3
KEYWORD_QUERY_WORDS = 3
PROXIMITY_WEIGHT = 0.2
PROXIMITY_WINDOW = 8
PROXIMITY_DEPTH = 100
PROXIMITY_K1 = 1.2
PROXIMITY_B = 0.75


class InExpC2(scoring.WeightingModel):
    """Divergence from randomness, In_expC2 (Amati & van Rijsbergen; Terrier's model): the
    informative content of a word in a document, measured against the number of documents
    that would hold it by chance, with a Bernoulli after-effect and length normalisation 2.

    It ranks long sentence queries better than Whoosh's BM25F, whose idf, log(N/(df+1)) + 1,
    barely separates rare words from common ones (TIME: MAP 0.563 -> 0.632, body alone)."""

    def __init__(self, c: float = 2.0):
        self.c = c

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _InExpC2Scorer(searcher, fieldname, text, self.c)


class _InExpC2Scorer(scoring.WeightLengthScorer):
    def __init__(self, searcher, fieldname, text, c):
        parent = searcher.get_parent()  # collection statistics, not one segment's
        documents = max(parent.doc_count_all(), 1)
        frequency = max(parent.frequency(fieldname, text), 1)
        expected = documents * (1 - ((documents - 1) / documents) ** frequency)
        informative = math.log2((documents + 1) / (expected + 0.5))
        self.factor = informative * (frequency + 1) / max(parent.doc_frequency(fieldname, text), 1)
        self.c = c
        self.average_length = parent.avg_field_length(fieldname) or 1
        self.setup(searcher, fieldname, text)

    def _score(self, weight, length):
        normalised = weight * math.log(1 + self.c * self.average_length / max(length, 1))
        return self.factor * normalised / (normalised + 1)


def proximity_bonus(results, parsed: query.Query) -> None:
    """Raise the PROXIMITY_DEPTH best scores of `results` (gathered with terms=True) for each
    pair of consecutive query words that an article holds within PROXIMITY_WINDOW words of
    each other: `interest rates`, `soviet union`, `viet nam` rank articles that use them
    together above those that mention each somewhere. The bonus is BM25 of the pair's
    count, with the idf of the articles holding both words."""
    searcher = results.searcher
    top = results.top_n[:PROXIMITY_DEPTH]
    if len(top) < 2:
        return
    bonus = {docnum: 0.0 for _, docnum in top}
    documents = max(searcher.doc_count_all(), 1)
    for fieldname, first, second in _word_pairs(parsed):
        both = (set(results.termdocs.get((fieldname, first), ())) &
                set(results.termdocs.get((fieldname, second), ())))
        candidates = sorted(docnum for docnum in bonus if docnum in both)
        if not candidates:
            continue
        idf = math.log(1 + (documents - len(both) + 0.5) / (len(both) + 0.5))
        average = searcher.avg_field_length(fieldname) or 1
        near = zip(candidates, _positions(searcher, fieldname, first, candidates),
                   _positions(searcher, fieldname, second, candidates))
        for docnum, here, there in near:
            count = _near(here, there)
            if count:
                length = searcher.doc_field_length(docnum, fieldname, 1)
                norm = 1 - PROXIMITY_B + PROXIMITY_B * length / average
                bonus[docnum] += (PROXIMITY_WEIGHT * idf * count * (PROXIMITY_K1 + 1) /
                                  (count + PROXIMITY_K1 * norm))
    boosted = sorted(((score + bonus[docnum], docnum) for score, docnum in top),
                     key=lambda item: (-item[0], item[1]))
    results.top_n = boosted + results.top_n[PROXIMITY_DEPTH:]


def _word_pairs(parsed: query.Query) -> list[tuple[str, bytes, bytes]]:
    """(body field, word, next word) for the words the query asks for, in query order."""
    bodies = {body for _, body in all_text_fields()}
    words: dict[str, list[bytes]] = {}
    for leaf in _wanted_leaves(parsed):
        if type(leaf) is query.Term and leaf.fieldname in bodies:
            sequence = words.setdefault(leaf.fieldname, [])
            text = _bytes(leaf.text)
            if not sequence or sequence[-1] != text:
                sequence.append(text)
    return [(name, a, b) for name, sequence in words.items()
            for a, b in zip(sequence, sequence[1:])]


def _wanted_leaves(q: query.Query) -> list[query.Query]:
    """The leaves of `q` outside its NOT parts."""
    if isinstance(q, query.AndNot):
        return _wanted_leaves(q.a)
    if isinstance(q, query.Not):
        return []
    if q.is_leaf():
        return [q]
    return [leaf for child in q.children() for leaf in _wanted_leaves(child)]


def _positions(searcher, fieldname: str, text: bytes, docnums: list[int]) -> list[list[int]]:
    """The word positions of `text` in each of `docnums` (ascending, all holding it)."""
    matcher = searcher.postings(fieldname, text)
    found = []
    for docnum in docnums:
        if matcher.id() != docnum:
            matcher.skip_to(docnum)
        found.append(matcher.value_as("positions"))
    return found


def _near(here: list[int], there: list[int]) -> int:
    """How many positions in `here` have one of `there` within PROXIMITY_WINDOW."""
    count = 0
    for position in here:
        index = bisect.bisect_left(there, position - PROXIMITY_WINDOW)
        if index < len(there) and there[index] <= position + PROXIMITY_WINDOW:
            count += 1
    return count


def keyword_words(parsed: query.Query, text: str, fieldnames: list[str]) -> list[set] | None:
    """The index terms of each word of a short keyword query (`oil prices`): a plain OR of
    words, at most KEYWORD_QUERY_WORDS of them. None for anything else: sentences, where
    relevant articles seldom hold every word (requiring more of them cost MAP 0.02 on TIME),
    and expert queries (phrases, fields, NOT, wildcards), which say themselves what must
    match."""
    leaves = [parsed] if parsed.is_leaf() else list(parsed.leaves())
    if not isinstance(parsed, (query.Or, query.Term)) or \
            not all(type(leaf) is query.Term for leaf in leaves):
        return None
    schema = build_schema()
    words = []
    for word in WORD.findall(text.lower()):
        terms = {(name, term.encode("utf-8")) for name in fieldnames
                 for term in schema[name].process_text(word, mode="query")}
        if terms and terms not in words:
            words.append(terms)
    return words if 1 < len(words) <= KEYWORD_QUERY_WORDS else None


def words_first(results, words: list[set]) -> None:
    """Reorder `results` (gathered with terms=True) so that articles holding more of the
    words come first, by score within each group: `oil prices` lists the articles with
    both words before those with one."""

    def held(docnum: int) -> int:
        matched = set(results.docterms.get(docnum, ()))
        return sum(1 for terms in words if terms & matched)

    results.top_n = sorted(results.top_n, key=lambda item: (-held(item[1]), -item[0], item[1]))


WORD = re.compile(r"\w+(?:\.\w+)*")  # not \.?\w+: that backtracks exponentially
"""A word as the analyzers split words (`u.s` is one)."""


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")
