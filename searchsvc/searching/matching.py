"""Which articles a query of words side by side stands for: those holding every word.

`chelsea transfer` sorted newest first listed any article holding either word, so stories
about a Canadian gas company's share transfer came first and the football stories fell to
page 29. Words (and phrases) typed side by side now mean "all of them", as in Meilisearch's
and Typesense's defaults; when no article holds them all, the words that match nothing are
left out, then words from the end, one at a time, until some articles match, and the
results say which words were left out. Date orders list exactly those articles; relevance
order lists every article holding any of the words, those holding more of them weighing more
(searchsvc.ranking). Explicit OR, AND and NOT keep their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query

from ..evaluation import Evaluator
from .querying import ImplicitOr, Word


PATTERN_BITS = 16
"""Up to this many words, the combinations articles hold are counted in an array of 2^n."""


@dataclass(frozen=True)
class Matching:
    """How a query's words were matched: `words` as typed, how many listed articles hold
    them all, and the words left out (in date orders) when no article held them all."""

    words: tuple[str, ...]
    all_words: int
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Held:
    """For each matched article (ascending document numbers), whether it holds each unit."""

    units: list[Word]
    holds: np.ndarray  # bool, units x articles

    @property
    def counts(self) -> np.ndarray:
        return self.holds.sum(axis=0)

    def every(self) -> np.ndarray:
        return self.holds.all(axis=0)

    def patterns(self) -> list[tuple[bool, ...]]:
        """The distinct combinations of words that the articles hold, in order."""
        count = len(self.units)
        if not self.holds.shape[1]:
            return []
        if count > PATTERN_BITS:
            return sorted(tuple(row) for row in np.unique(self.holds.T, axis=0).tolist())
        # each article's combination as the bits of a number: counted, not sorted
        bits = np.left_shift(1, np.arange(count, dtype=np.int64))
        codes = np.flatnonzero(np.bincount(bits @ self.holds, minlength=1 << count))
        return sorted(tuple(bool(code >> unit & 1) for unit in range(count))
                      for code in codes.tolist())

    def relaxed(self, patterns=None) -> tuple[np.ndarray, tuple[str, ...]]:
        """(mask of the articles holding the most words that can be held together, the
        words left out): words that match nothing first, then from the end. `patterns`: the
        combinations of words held in the whole collection (`patterns()` of every shard),
        by default those held here."""
        held = np.asarray(self.patterns() if patterns is None else patterns,
                          dtype=bool).reshape(-1, len(self.units))
        if held.all(axis=1).any():
            return self.every(), ()
        matching = [i for i in range(len(self.units)) if held[:, i].any()]
        left_out = [self.units[i].text for i in range(len(self.units)) if i not in matching]
        for keep in range(len(matching), 0, -1):
            if held[:, matching[:keep]].all(axis=1).any():
                return (self.holds[matching[:keep]].all(axis=0),
                        tuple(left_out + [self.units[i].text for i in matching[keep:]]))
        return np.zeros(self.holds.shape[1], dtype=bool), tuple(u.text for u in self.units)


def units(parsed: query.Query) -> list[Word]:
    """The words and phrases typed side by side (with no operator between them) at the top
    of the query, beside any field clauses and exclusions; [] for other queries."""
    if isinstance(parsed, query.AndNot):
        return units(parsed.a)
    if type(parsed) is query.And:
        return units(parsed.subqueries[0]) if parsed.subqueries else []
    if isinstance(parsed, Word):
        return [parsed] if _has_terms(parsed) else []
    if type(parsed) is ImplicitOr:
        found = [child for child in parsed.subqueries
                 if isinstance(child, Word) and _has_terms(child)]
        return found if len(found) == len([c for c in parsed.subqueries
                                           if not isinstance(c, query.Not)]) else []
    return []


def held(evaluator: Evaluator, words: list[Word], docnums: np.ndarray) -> Held:
    """Which of `words` each of the matched `docnums` (ascending) holds."""
    return Held(words, np.vstack([evaluator.holding(word, docnums) for word in words])
                if words else np.zeros((0, len(docnums)), dtype=bool))


def _has_terms(word: Word) -> bool:
    """False for a word that is a stop word in every language of the index."""
    return any(not isinstance(leaf, type(query.NullQuery)) for leaf in word.leaves()) \
        if not word.is_leaf() else True
