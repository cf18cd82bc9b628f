"""How text becomes index terms: words, lowercased, stop words dropped, stemmed, accents folded.

Every article is analysed in its own language (its Snowball stemmer and stop words, or, for a
language without a stemmer, lowercasing and accent folding only), and all languages share one
`title` and one `body` field: a query word is looked up in the form each language present in
the index gives it (searchsvc.querying). `Analysis.terms` yields exactly the terms of
Whoosh's chain RegexTokenizer | LowercaseFilter | StopFilter | StemFilter |
CharsetFilter(accent_map) (tests/test_analysis.py compares them), but a word costs one
dictionary lookup instead of a trip through five generators: analysis is most of the time
of indexing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.highlight import Token
from whoosh.lang import has_stemmer, has_stopwords, stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

DEFAULT_LANGUAGE = "en"
GENERIC = "xx"
"""The analysis of every language without a Snowball stemmer: words lowercased and folded."""
STEMMED_LANGUAGES = ("da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro",
                     "ru", "sv")
CACHED_WORDS = 200_000

_WORDS = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # the same words, for findall (no group)
_STOP = ""  # the cached "term" of a stop word
_HEAD_LETTERS = {**accent_map, ord("ё"): "е"}  # folded as stems are (Russian's ё too)


def analysis_language(language: str | None) -> str:
    """The analysis an article of this language is indexed with."""
    if not language:
        return DEFAULT_LANGUAGE
    return language if language in STEMMED_LANGUAGES else GENERIC


@lru_cache(maxsize=None)
def analysis_for(language: str | None) -> "Analysis":
    """The (per-process, shared) analysis of a language."""
    return Analysis(analysis_language(language))


def query_analyzer():
    """What the query parser does to words: split and lowercase only. Stop words, stems and
    accents depend on the language each word is looked up in (searchsvc.querying)."""
    return RegexTokenizer() | LowercaseFilter()


class Analysis:
    """One language's analysis, with the terms of the words seen so far remembered."""

    def __init__(self, language: str):
        self.language = language
        self.stopwords = frozenset(stopwords_for_language(language)
                                   if language != GENERIC and has_stopwords(language) else ())
        self._stem = (stemmer_for_language(language)
                      if language != GENERIC and has_stemmer(language) else None)
        self._terms: dict[str, str] = {}  # lowercased word -> term ("" for a stop word)
        self._folded: dict[str, str] = {}  # lowercased word -> accent-folded word

    def __repr__(self) -> str:
        return f"Analysis({self.language!r})"

    def term(self, word: str) -> str | None:
        """The index term of one lowercased word; None for a stop word."""
        term = self._terms.get(word)
        if term is None:
            term = self._learn(word)
        return term or None

    def _learn(self, word: str) -> str:
        if len(self._terms) >= CACHED_WORDS:
            self._terms.clear()
        if word in self.stopwords or not word:
            term = _STOP
        else:
            stemmed = self._stem(word) if self._stem else word
            term = stemmed.translate(accent_map)
        self._terms[word] = term
        return term

    def fold(self, word: str) -> str:
        folded = self._folded.get(word)
        if folded is None:
            if len(self._folded) >= CACHED_WORDS:
                self._folded.clear()
            folded = self._folded[word] = word.translate(accent_map)
        return folded

    def terms(self, text: str) -> list[str]:
        """The index terms of `text` in order, stop words left out: term i is at word
        position i (the positions of the words kept are consecutive, as Whoosh's StopFilter
        renumbers them)."""
        words = _WORDS.findall(text)
        if not words:
            return []
        words = "\x00".join(words).lower().split("\x00")
        terms = list(map(self._terms.get, words))
        if None in terms:
            terms = [term if term is not None else self._learn(word)
                     for term, word in zip(terms, words)]
        return list(filter(None, terms))

    def matches(self, value: str, terms: frozenset[str]) -> list[Token]:
        """Tokens (with characters) of the words of `value` whose index term is in `terms`,
        for a highlighter. Each distinct word is analysed once."""
        distinct = list(set(_WORDS.findall(value)))
        lowered = "\x00".join(distinct).lower().split("\x00")
        heads = None
        found = {}
        # words analysed before are looked up all at once; of the others, a Snowball stem
        # keeps its word's first letters (folded): only words starting as a term starts
        # are analysed, so a long article's other words cost no stemming
        for word, low, term in zip(distinct, lowered, map(self._terms.get, lowered)):
            if term is None:
                if heads is None:
                    heads = {wanted[:3] for wanted in terms}
                head = low[:3].translate(_HEAD_LETTERS)
                if (head not in heads and head[:2] not in heads and head[:1] not in heads
                        and len(low) == len(word)):  # (lowercasing İ adds a letter)
                    continue
                term = self._learn(low)
            if term in terms:
                found[word] = term
        if not found:
            return []
        return [Token(text=found[word], boost=1.0, startchar=start, endchar=end,
                      matched=True, stopped=False)
                for start, end, word in whole_words(value, found)]


def split_words(text: str) -> list[str]:
    """The words of `text` as written, as the tokenizer splits them."""
    return _WORDS.findall(text)


def whole_words(text: str, words) -> list[tuple[int, int, str]]:
    """(start, end, word) of each place in `text` where one of `words` is a whole word as
    split_words splits it (`u.s` in "the u.s. dollar", not in "u.s.a"), in order, without
    splitting the whole text: a search marks the same few words in every article it shows.

    Each word is found with str.find and its neighbours checked: a pattern of the words
    took 0.13 ms to compile, for every new set of words (each article shown holds its own
    forms of the query's words, so a query seen for the first time compiled several)."""
    spans = []
    size = len(text)
    for word in words:
        if not word:
            continue
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if _alone(text, start, end, size):
                spans.append((start, end, word))
            start = text.find(word, start + 1)
    spans.sort()
    return spans


def _word_character(character: str) -> bool:
    """Whether `character` is one of `[\w*]` (re's \w: str.isalnum or the underscore)."""
    return character.isalnum() or character == "_" or character == "*"


def _alone(text: str, start: int, end: int, size: int) -> bool:
    """Whether text[start:end] is a whole word: not preceded by a word character (or by one
    and a dot), nor followed by one (or by a dot and one), as _WORDS reads words."""
    if start:
        before = text[start - 1]
        if _word_character(before) or (before == "." and start >= 2
                                        and _word_character(text[start - 2])):
            return False
    if end < size:
        after = text[end]
        if _word_character(after) or (after == "." and end + 1 < size
                                       and _word_character(text[end + 1])):
            return False
    return True
