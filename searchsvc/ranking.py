"""How results are ordered by relevance: the weighting model, the variants of the query words
that the stemmer misses, a bonus for query words found near each other, and the reordering
that puts articles with every word of a keyword query first.

Measured on the TIME collection with bench/relevance.py; the figures for each choice are in
the docstrings below.
"""

import math
import re

import numpy as np
from whoosh import query, scoring

from .schema import all_text_fields, build_schema

TITLE_WEIGHT = 0.3
KEYWORD_QUERY_WORDS = 3
PROXIMITY_WEIGHT = 0.2
PROXIMITY_WINDOW = 8
PROXIMITY_DEPTH = 100
PROXIMITY_K1 = 1.2
PROXIMITY_B = 0.75
VARIANT_SUFFIX_CHARS = 2
VARIANT_MIN_CHARS = 4
VARIANT_MIN_DICE = 0.2


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

    def score_array(self, weights: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """`_score` of many postings at once (searchsvc.vectors)."""
        normalised = weights * np.log(1 + self.c * self.average_length / np.maximum(lengths, 1))
        return self.factor * normalised / (normalised + 1)


def proximity_bonus(evaluator, parsed: query.Query, matched: np.ndarray,
                    docnums: np.ndarray) -> np.ndarray:
    """The bonus of each of `docnums` (the PROXIMITY_DEPTH best by score) for each pair of
    consecutive query words that an article holds within PROXIMITY_WINDOW words of each
    other: `interest rates`, `soviet union`, `viet nam` rank articles that use them together
    above those that mention each somewhere. The bonus is BM25 of the number of times the
    first word has the second near it, with the idf of the matched articles (`matched`, a
    mask) holding both words."""
    bonus = np.zeros(len(docnums))
    if len(docnums) < 2:
        return bonus
    searcher = evaluator.searcher
    postings = evaluator.postings
    documents = max(searcher.doc_count_all(), 1)
    for fieldname, first, second in _word_pairs(parsed):
        both = np.intersect1d(evaluator.term_docnums(fieldname, first),
                              evaluator.term_docnums(fieldname, second), assume_unique=True)
        both = both[matched[both]]
        candidates = np.intersect1d(docnums, both)
        if not len(candidates):
            continue
        here, there = (postings.occurrences(searcher, fieldname, word).of(candidates)
                       for word in (first, second))
        # keys are document << 32 | position, so a window never reaches another document
        nearest = np.minimum(np.searchsorted(there, here - PROXIMITY_WINDOW), len(there) - 1)
        close = np.abs(there[nearest] - here) <= PROXIMITY_WINDOW
        near = here[close] >> 32
        docs, count = np.unique(near, return_counts=True)
        if not len(docs):
            continue
        idf = math.log(1 + (documents - len(both) + 0.5) / (len(both) + 0.5))
        average = searcher.avg_field_length(fieldname) or 1
        norm = (1 - PROXIMITY_B + PROXIMITY_B *
                np.maximum(postings.lengths(searcher, fieldname)[docs], 1) / average)
        gain = PROXIMITY_WEIGHT * idf * count * (PROXIMITY_K1 + 1) / (count + PROXIMITY_K1 * norm)
        index = {docnum: i for i, docnum in enumerate(docnums.tolist())}
        for docnum, value in zip(docs.tolist(), gain.tolist()):
            bonus[index[docnum]] += value
    return bonus


def with_variants(parsed: query.Query, variants_of) -> query.Query:
    """`parsed` with each word also looking for the indexed words that differ from it only in
    their last VARIANT_SUFFIX_CHARS letters, weighted by how much the two occur in the same
    articles (Dice: twice the articles holding both over the sum of each one's articles):
    the stemmer leaves `syria`/`syrian`, `japan`/`japanese` and `economic`/`economy` apart,
    which mostly meet; variants that share less than VARIANT_MIN_DICE (`take` for
    `takeover`, `electr` for `election`) are left out (co-occurrence stemming, after Xu &
    Croft, "Corpus-based stemming using cooccurrence of word variants", 1998).

    TIME: MAP 0.639 -> 0.655, nDCG@10 0.699 -> 0.712; with 1 or 3 letters, or only for words
    of 5 letters or more, MAP 0.645-0.656 and nDCG@10 0.702-0.712 (all 27 combinations of 1-3
    letters, 4-6 minimum letters and a cut-off of 0.1-0.3 beat 0.639 / 0.699); within 0.001
    for any VARIANT_MIN_DICE from 0 to 0.4. The variants' weight is the Dice itself: half or
    twice that gives MAP 0.650 / 0.658. The gain is concentrated: 13 queries improve, 13
    lose, two carry two thirds of it.

    `variants_of(fieldname, term)` gives a term's (variant, Dice) pairs (`word_variants`)."""
    texts = {name for pair in all_text_fields() for name in pair}
    taken = {(leaf.fieldname, _bytes(leaf.text)) for leaf in _wanted_leaves(parsed)
             if type(leaf) is query.Term and leaf.fieldname in texts}

    def expand(q: query.Query) -> query.Query:
        if isinstance(q, query.AndNot):
            return query.AndNot(expand(q.a), q.b)
        if isinstance(q, query.Not):
            return q
        if type(q) is not query.Term or q.fieldname not in texts:
            return q if q.is_leaf() else q.apply(expand)
        variants = []
        for variant, dice in variants_of(q.fieldname, _bytes(q.text)):
            if (q.fieldname, variant) not in taken:
                taken.add((q.fieldname, variant))
                variants.append(query.Term(q.fieldname, variant, boost=q.boost * dice))
        return query.Or([q, *variants]) if variants else q

    return expand(parsed)


def word_variants(evaluator, fieldname: str, word: bytes) -> list[tuple[bytes, float]]:
    """(variant, Dice) of the variants of an index term that `with_variants` adds."""
    reader = evaluator.searcher.reader()
    if (fieldname, word) not in reader:
        return []
    found = []
    for variant in _variants(reader, fieldname, word):
        counts = reader.doc_frequency(fieldname, word), reader.doc_frequency(fieldname, variant)
        if 2 * min(counts) < VARIANT_MIN_DICE * sum(counts):  # too few could hold both
            continue
        first = evaluator.term_docnums(fieldname, word)
        second = evaluator.term_docnums(fieldname, variant)
        both = len(np.intersect1d(first, second, assume_unique=True))
        dice = 2 * both / max(len(first) + len(second), 1)
        if dice >= VARIANT_MIN_DICE:
            found.append((variant, dice))
    return found


def _variants(reader, fieldname: str, word: bytes) -> list[bytes]:
    """The indexed words that are `word` with up to VARIANT_SUFFIX_CHARS letters added or
    taken off its end, the shorter of the two at least VARIANT_MIN_CHARS letters long."""
    found = []
    if len(word) >= VARIANT_MIN_CHARS:
        found += [text for text in reader.expand_prefix(fieldname, word)
                  if text != word and len(text) - len(word) <= VARIANT_SUFFIX_CHARS]
    for cut in range(1, VARIANT_SUFFIX_CHARS + 1):
        shorter = word[:-cut]
        if len(shorter) >= VARIANT_MIN_CHARS and (fieldname, shorter) in reader:
            found.append(shorter)
    return sorted(found)


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


def words_held(evaluator, words: list[set], docnums: np.ndarray) -> np.ndarray:
    """How many of the words of a keyword query (`keyword_words`) each of `docnums` holds:
    results are listed by this first, then by score, so `oil prices` lists the articles
    with both words before those with one."""
    held = np.zeros(len(docnums), dtype=np.int64)
    for terms in words:
        holds = np.zeros(evaluator.size, dtype=bool)
        for fieldname, text in terms:
            holds[evaluator.term_docnums(fieldname, text)] = True
        held += holds[docnums]
    return held


WORD = re.compile(r"\w+(?:\.\w+)*")  # not \.?\w+: that backtracks exponentially
"""A word as the analyzers split words (`u.s` is one)."""


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")
