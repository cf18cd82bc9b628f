"""Did you mean: a correction for each query word that is rare or absent when a close word is
much more frequent, chosen by how often it occurs with the other words of the query.

Candidates are words people wrote (the vocabulary of words as written, not stems) within one
or two edits; beside other words, the one found most often with them wins, else the
closest, then the most frequent. A word's own inflections are never offered (`cosmonauts` for `cosmonaut`, or
`космонавты` for `космонавт`: the same stem finds them already), and among the others the
one found most often beside the query's other words wins: `tony blare` becomes `tony
blair`, not the more frequent but unrelated `tony blame`.
"""

from __future__ import annotations

import re

import numpy as np
from whoosh.support.charset import accent_map

from ..analysis import analysis_for
from ..evaluation import Evaluator

MAX_CORRECTIONS = 5  # unknown or rare words looked up (each walks the vocabulary)
MAX_CANDIDATES = 12  # close words compared in context, the most frequent first
MORE_FREQUENT = 10  # a correction of a word alone is held by this many times more articles
MORE_FREQUENT_IN_CONTEXT = 2  # ... of a word among others, which must also go with them
RARE_SHARE = 1 / 20_000  # words in fewer articles than this share (and 5) are checked
_WORD = re.compile(r"(?<![:\w*?~])\w+(?![:\w*?~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def suggestion(text: str, evaluator: Evaluator, within) -> str | None:
    """`text` with its rare or unknown words corrected, or None when none is.
    `within(word, edits, prefix)` lists the vocabulary's words near a word."""
    collection = evaluator.collection
    vocabulary = collection.vocabulary
    languages = collection.analyses
    rare = max(5, int(collection.size * RARE_SHARE))
    typed = [(match, match.group(0).lower().translate(accent_map))
             for match in _WORD.finditer(text) if match.group(0) not in _OPERATORS]
    words = [word for _, word in typed if not _is_stop_word(word, languages)]
    holders: dict[str, np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}

    def holding(word: str) -> np.ndarray:
        if word not in holders:
            holders[word] = _holding(evaluator, word)
        return holders[word]

    def mask(word: str) -> np.ndarray:
        if word not in masks:
            masks[word] = np.zeros(evaluator.size, dtype=bool)
            masks[word][holding(word)] = True
        return masks[word]

    def together(word: str, others: list[str]) -> int:
        """Articles of this index holding `word` together with each of the other words,
        summed."""
        mine = holding(word)
        return sum(int(np.count_nonzero(mask(other)[mine])) for other in others)

    looked_up = []
    for word in words:
        if len(looked_up) == MAX_CORRECTIONS or len(word) < 3 or not word.isalpha() \
                or word in (found for found, _, _ in looked_up):
            continue
        frequency = vocabulary.frequency(word)
        if frequency >= rare:
            continue
        others = [other for other in words if other != word]
        ratio = MORE_FREQUENT_IN_CONTEXT if others else MORE_FREQUENT
        candidates = _candidates(word, frequency, ratio, vocabulary, languages, within)
        if candidates:
            looked_up.append((word, others, candidates))
    if not looked_up:
        return None
    # how often each candidate (and each word as typed) goes with the other words, counted
    # in the whole collection at once
    counted = iter(collection.combine("sum", np.asarray(
        [together(found, others) for word, others, candidates in looked_up
         for found in [word, *(candidate for candidate, _ in candidates)]],
        dtype=np.int64)).tolist())
    corrections: dict[str, str] = {}
    for word, others, candidates in looked_up:
        own = next(counted)
        supports = {candidate: next(counted) for candidate, _ in candidates}

        def support(found: str, others: list[str]) -> int:
            return own if found == word else supports[found]

        frequency = vocabulary.frequency(word)
        best, _ = max(candidates, key=lambda found: (support(found[0], others), -found[1],
                                                     vocabulary.frequency(found[0])))
        if frequency and others and support(best, others) <= support(word, others):
            continue  # the word as typed goes with the others at least as well
        corrections[word] = best
    if not corrections:
        return None
    corrected = []
    last = 0
    for match, word in typed:
        if word in corrections:
            corrected += [text[last:match.start()], corrections[word]]
            last = match.end()
    return "".join(corrected) + text[last:]


def _candidates(word: str, frequency: int, ratio: int, vocabulary, languages,
                within) -> list[tuple[str, int]]:
    """(word, edits) of the words one or two edits from `word` that are not forms of the
    word itself and, when some article holds `word`, that `ratio` times more articles hold;
    the closest, then the most frequent, first."""
    stems = {analysis_for(language).term(word) for language in languages}
    found = {}
    for edits in (2, 1):
        for candidate in within(word, edits, 1):
            if candidate != word:
                found[candidate] = edits
    ranked = sorted(((edits, -vocabulary.frequency(c), c) for c, edits in found.items()
                     if vocabulary.frequency(c) >= ratio * frequency
                     and not stems & {analysis_for(language).term(c) for language in languages}))
    return [(c, edits) for edits, _, c in ranked[:MAX_CANDIDATES]]


def _holding(evaluator: Evaluator, word: str) -> np.ndarray:
    """The documents holding a word as written (any language's form, either field)."""
    found = [evaluator.term_docs(field, term.encode("utf-8"))
             for language in evaluator.collection.analyses
             if (term := analysis_for(language).term(word)) is not None
             for field in ("title", "body")]
    found = [docs for docs in found if len(docs)]
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(found)) if len(found) > 1 else np.asarray(found[0])


def _is_stop_word(word: str, languages) -> bool:
    return any(analysis_for(language).term(word) is None for language in languages)
