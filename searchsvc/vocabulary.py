"""The index's words as written (lowercased, accents folded) with the number of articles
holding each: completions as you type and spelling corrections come from here.

Built once per index generation when it is written (searchsvc.generation) and mapped by
every worker, so the first suggestion after a start costs what any other does.
"""

from __future__ import annotations

import itertools

import numpy as np
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

from .lexicon import Lexicon


class Vocabulary:
    def __init__(self, words: Lexicon, counts: np.ndarray):
        self.words = words
        self.counts = counts

    def frequency(self, word: str) -> int:
        """Articles holding `word` (0 when it is not indexed)."""
        position = self.words.find(word.encode("utf-8"))
        return int(self.counts[position]) if position >= 0 else 0

    def __contains__(self, word: str) -> bool:
        return self.words.find(word.encode("utf-8")) >= 0

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The `limit` most frequent words starting with `prefix` (shorter first on ties)."""
        start, end = self.words.prefix_range(prefix.encode("utf-8"))
        if end <= start:
            return []
        counts = np.asarray(self.counts[start:end])
        if len(counts) > limit:
            best = np.argpartition(-counts, limit - 1)[:limit]
            # ties at the cut are broken by position, which keeps the result stable
        else:
            best = np.arange(len(counts))
        found = [(int(counts[i]), self.words[start + int(i)]) for i in best]
        found.sort(key=lambda item: (-item[0], len(item[1]), item[1]))
        return [word.decode("utf-8") for _, word in found[:limit]]

    def within(self, word: str, edits: int, prefix: int, limit: int) -> list[str]:
        """Words within `edits` of `word` that share its first `prefix` letters (at most
        `limit`), found by walking a Levenshtein automaton over the sorted words."""
        dfa = levenshtein_automaton(word, edits, prefix=prefix).to_dfa()
        words = self.words

        def first_from(text: str) -> str | None:
            position = words.first_from(text.encode("utf-8"))
            return words[position].decode("utf-8") if position < len(words) else None

        return list(itertools.islice(find_all_matches(dfa, first_from), limit))
