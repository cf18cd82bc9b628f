"""Completions of what has been typed so far, cheap enough for every keystroke: the last,
unfinished word completed with the index's most frequent words, then headlines holding the
words typed."""

from __future__ import annotations

import math
import re

import numpy as np
from whoosh.support.charset import accent_map

from ..analysis import analysis_for
from ..evaluation import Evaluator, intersection, union
from .stories import top

MIN_TITLE_FRAGMENT = 3
_WORD = re.compile(r"\w+(?:\.\w+)*")  # not \.?\w+: that backtracks exponentially
_LAST_WORD = re.compile(_WORD.pattern + "$")


def suggestions(prefix: str, limit: int, evaluator: Evaluator, title_of) -> list[str]:
    """Up to `limit` whole queries completing `prefix`. `title_of(docnum)` reads a stored
    headline."""
    collection = evaluator.collection
    unfinished = _LAST_WORD.search(prefix)
    head = prefix[:unfinished.start()] if unfinished else prefix
    typed = [terms for word in _WORD.findall(head.lower())
             if (terms := _indexed_terms(collection, word))]
    fragment = unfinished.group().lower().translate(accent_map) if unfinished else ""
    words = collection.vocabulary.completions(fragment, limit) if fragment else []
    titles = []
    if typed or len(fragment) >= MIN_TITLE_FRAGMENT:
        titles = _titles_with(evaluator, typed, words, limit, bool(fragment), title_of)
    completed = [head + word for word in words]
    half = math.ceil(limit / 2)
    ordered = completed[:half] + titles + completed[half:]
    return list(dict.fromkeys(ordered))[:limit]


def _indexed_terms(collection, word: str) -> list[bytes]:
    """The title terms a typed word has in the languages present (none: a stop word or a
    word no headline holds)."""
    terms = {term.encode("utf-8") for language in collection.analyses
             if (term := analysis_for(language).term(word)) is not None}
    return sorted(term for term in terms if collection.has_term("title", term))


def _titles_with(evaluator: Evaluator, typed: list[list[bytes]], completions: list[str],
                 limit: int, unfinished: bool, title_of) -> list[str]:
    """Headlines holding every finished word typed and, when the last word is unfinished,
    one of its completions; best matches first."""
    parts = [union([evaluator.term("title", term) for term in terms], evaluator.size)
             for terms in typed]
    if unfinished:
        stems = {term.encode("utf-8") for word in completions
                 for language in evaluator.collection.analyses
                 if (term := analysis_for(language).term(word)) is not None}
        if not stems:
            return []
        parts.append(union([evaluator.term("title", stem) for stem in sorted(stems)],
                           evaluator.size))
    if not parts:
        return []
    found = intersection(parts)
    live = np.asarray(evaluator.generation.live)[found.docs]
    docs, scores = found.docs[live], found.scores[live]
    ties = np.asarray(evaluator.generation.tiekeys)[docs]
    best = top(scores, ties, min(len(docs), limit * 2))
    # the best headlines of the whole collection
    ranked = evaluator.collection.combine("gathered", (limit * 2, [
        ((-scores[position].item(), ties[position].item()), title_of(int(docs[position])))
        for position in best.tolist()]))
    return list(dict.fromkeys(title for _, _, title in ranked if title))[:limit]
