"""Readable headlines: an ALL-CAPS headline (Reuters wrote every one so) in sentence case,
each word written as the article's own text writes it.

The article knows its names: "EXXON <XON> RAISES HEATING OIL PRICE" becomes "Exxon <XON>
raises heating oil price" because the text says "Exxon Corp" and "heating oil". A word is
looked up as written, then by its stem ("RAISES" as "raised"); the forms inside a sentence
count before those that start one, which are capitalised whatever the word. Acronyms the
text writes in capitals (OPEC), dotted ones (U.S.), tickers in angle brackets (<XON>) and
words without a vowel that the text does not hold (CBT) stay as they are; the words before
a leading ticker are the company's name (SUPER RITE FOODS INC <SRFI>: Super Rite Foods Inc);
another word the text does not hold is written in lower case. Headlines that are not all
caps are left alone, and the stored headline is never changed: this is for display.
"""

from __future__ import annotations

import re
from collections import Counter

from .analysis import analysis_for

MIN_CASED_LETTERS = 4
UPPER_SHARE = 0.8  # of a headline's cased letters, outside tickers, for it to be all caps
_TICKER = re.compile(r"<[^<>]*>")
_WORD = re.compile(r"[^\W\d_](?:\.[^\W\d_])+\.?|[^\W_]+(?:['’][^\W_]+)*")
_APOSTROPHE = re.compile(r"['’]")
_TOKEN = re.compile(_TICKER.pattern + "|" + _WORD.pattern)  # a headline's tickers and words
NAME_WORDS = 4  # at most this many words before a ticker at the start are a company's name
TICKER_LETTERS = 3  # a name word this short that is its ticker is an acronym
# English news abbreviations a text seldom spells as the headline does ("4TH QTR NET", "350
# MLN STG", "JAN SPENDING", "COMALCO LTD"): units in lower case, months and company forms
# capitalised.
_ENGLISH_ABBREVIATIONS = {
    **{word: word for word in ("pct", "mln", "bln", "dlr", "dlrs", "stg", "cts", "shr", "shrs",
                               "qtr", "qtrly", "yr", "mth", "mths", "pts", "vs")},
    **{word: word.capitalize() for word in ("jan", "feb", "mar", "apr", "jun", "jul", "aug",
                                            "sep", "sept", "oct", "nov", "dec", "corp", "inc",
                                            "ltd", "co")},
}
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“]\s+|\n\s*)$")
_VOWELS = frozenset("aeiouyàáâäèéêëìíîïòóôöùúûü")


def is_all_caps(title: str) -> bool:
    letters = [c for c in _TICKER.sub("", title) if c.isalpha() and c.upper() != c.lower()]
    if len(letters) < MIN_CASED_LETTERS:
        return False
    return sum(c.isupper() for c in letters) >= UPPER_SHARE * len(letters)


def display_title(title: str, body: str, language: str | None = None) -> str:
    """`title` in sentence case with the article's own spelling of each word, when it is
    written all in capitals; otherwise `title` as it is."""
    if not is_all_caps(title):
        return title
    tokens = list(_TOKEN.finditer(title))
    forms = _Forms(body, language, [token.group() for token in tokens])
    tickers = [n for n, token in enumerate(tokens) if token.group().startswith("<")]
    name = tickers[0] if tickers and tickers[0] <= NAME_WORDS else 0
    pieces, last = [], 0
    for number, match in enumerate(tokens):
        word = match.group()
        pieces.append(title[last:match.start()])
        last = match.end()
        if word.startswith("<") or "." in word:
            written = word
        elif not word.isalpha():
            written = forms.written(word, acronyms=False)  # 4TH, 747-400'S, MAY7
        elif number < name:  # the company a ticker names: EXXON CORP <XON>
            written = forms.name(word, tokens[name].group())
        else:
            written = forms.written(word)
        if number == 0 and written[:1].islower():
            written = written[:1].upper() + written[1:]
        pieces.append(written)
    pieces.append(title[last:])
    return "".join(pieces)


class _Forms:
    """How an article's text writes its words: the forms inside sentences, and those that
    start one, by lower-case word and by stem; of the words `wanted` (a headline's) only,
    when given. Only the text's words that share a key with them are looked at closely: a
    headline of TIME's articles (3,600 characters on average) took 3.4 ms with every word
    tabled, 1.4 with its own; a page of ten, longer than its search."""

    def __init__(self, body: str, language: str | None, wanted: list[str] | None = None):
        self.analysis = analysis_for(language)
        self.abbreviations = _ENGLISH_ABBREVIATIONS if language in (None, "en") else {}
        self.inside: dict[str, Counter] = {}
        self.starting: dict[str, Counter] = {}
        distinct = list(set(_WORD.findall(body)))
        if wanted is not None:
            keys = {key for word in wanted for part in (word, _APOSTROPHE.split(word)[0])
                    for key in self._keys(part)}
            stems = {key[5:] for key in keys if key.startswith("stem:")}
            lowered = "\x00".join(distinct).lower().split("\x00")
            # a superset of the words with a key wanted, found without building their keys
            distinct = [word for word, low, stem in zip(distinct, lowered,
                                                        map(self.analysis.term, lowered))
                        if low in keys or stem in stems or _APOSTROPHE.search(word)]
        related = {word: [(part, key) for part in dict.fromkeys(
                       (word, _APOSTROPHE.split(word)[0])) for key in self._keys(part)
                       if wanted is None or key in keys] for word in distinct}
        for match in _WORD.finditer(body):
            keyed = related.get(match.group())
            if not keyed:
                continue
            at_start = _SENTENCE_START.search(body, max(0, match.start() - 3), match.start())
            table = self.starting if at_start else self.inside
            for part, key in keyed:
                table.setdefault(key, Counter())[part] += 1

    def _keys(self, word: str) -> list[str]:
        """The word in lower case and its stem."""
        lowered = word.lower()
        stem = self.analysis.term(lowered)
        return [lowered, "stem:" + stem] if stem and stem != lowered else [lowered]

    def written(self, word: str, acronyms: bool = True) -> str:
        """The headline's `word` (in capitals) as the text writes it."""
        lowered = word.lower()
        keys = self._keys(word)
        part = _APOSTROPHE.split(word)[0]
        if part != word:  # KOREA'S: as the text writes Korea's, else Korea
            keys += self._keys(part)
        for key in keys:
            inside = self.inside.get(key)
            if inside:
                return _like(word, inside.most_common(1)[0][0], same=key == lowered)
        if lowered in self.abbreviations:
            return self.abbreviations[lowered]
        for key in keys:  # found only where a sentence starts: a name, most likely
            starting = self.starting.get(key)
            if starting:
                form = starting.most_common(1)[0][0]
                return form if key == lowered else lowered[:1].upper() + lowered[1:]
        if acronyms and len(word) > 1 and (not _VOWELS & set(lowered) or (
                len(word) == 2 and lowered not in self.analysis.stopwords)):
            return word  # CBT, LME, UK: an acronym the text does not spell out
        return lowered

    def name(self, word: str, ticker: str) -> str:
        """A word of the company name before `ticker`: as the text writes it, else
        capitalised (an acronym when it is the ticker's letters, as GTI CORP <GTI>)."""
        lowered = word.lower()
        if any(self.inside.get(key) or self.starting.get(key) for key in self._keys(word)) \
                or lowered in self.abbreviations:
            return self.written(word)
        if (len(word) <= TICKER_LETTERS and lowered == ticker.strip("<>").split(".")[0].lower()) \
                or (len(word) > 1 and not _VOWELS & set(lowered)):
            return word
        return word[:1] + lowered[1:]


def _like(word: str, form: str, same: bool) -> str:
    """`word` written in the case of `form`, the text's spelling of it (or of its stem)."""
    if same:
        return form
    if len(form) > 1 and form.isupper():
        return word
    if form[:1].isupper():
        return word[:1] + word[1:].lower()
    return word.lower()
