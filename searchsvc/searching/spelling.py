"""Did you mean: the query with each word the index does not hold replaced by the closest
word it does hold, from the vocabulary of words as written (so a correction is a word
people wrote, not a stem)."""

from __future__ import annotations

import re

from whoosh.support.charset import accent_map

from ..analysis import analysis_for

MAX_CORRECTIONS = 5  # unknown words looked up for "did you mean" (each walks the vocabulary)
_WORD = re.compile(r"(?<![:\w*?~])\w+(?![:\w*?~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def suggestion(text: str, vocabulary, languages: list[str], within) -> str | None:
    """`text` with each unknown word corrected, or None when there is nothing to correct.
    `within(word, edits, prefix)` lists the vocabulary's words near a word. Only the first
    MAX_CORRECTIONS unknown words are looked up: a query of a hundred made-up words would
    otherwise cost seconds."""
    changed = False
    looked_up = 0

    def correct(match: re.Match) -> str:
        nonlocal changed, looked_up
        word = match.group(0)
        lowered = word.lower().translate(accent_map)
        if (len(lowered) < 3 or word in _OPERATORS or not lowered.isalpha()
                or looked_up == MAX_CORRECTIONS or lowered in vocabulary
                or any(analysis_for(language).term(word.lower()) is None
                       for language in languages)):
            return word
        looked_up += 1
        best = _closest_word(vocabulary, within, lowered)
        if best is None:
            return word
        changed = True
        return best

    corrected = _WORD.sub(correct, text)
    return corrected if changed else None


def _closest_word(vocabulary, within, word: str) -> str | None:
    """The most frequent indexed word at the smallest edit distance (1, then 2) from `word`."""
    for distance in (1, 2):
        candidates = {(vocabulary.frequency(w), w) for w in within(word, distance, 1)
                      if w != word}
        if candidates:
            return max(candidates)[1]
    return None
