"""How results are ordered by relevance: the weighting model, and the reordering that puts
articles with every word of a keyword query first.

Measured on the TIME collection with bench/relevance.py; the figures for each choice are in
the docstrings below.
"""

import math
import re

from whoosh import query, scoring

from .schema import build_schema

TITLE_WEIGHT = 0.3
KEYWORD_QUERY_WORDS = 3


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
