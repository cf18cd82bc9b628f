"""The text analysis of the article fields, fused into one loop for speed.

`NewsAnalyzer` yields exactly the tokens of Whoosh's chain RegexTokenizer | LowercaseFilter |
StopFilter | StemFilter | CharsetFilter(accent_map) (tests/test_analysis.py compares them),
but a token costs a few dictionary lookups instead of a trip through five generators.
`NewsText` indexes a value in one pass that gives both its postings and its spelling words,
where Whoosh's TEXT builds a Token per word twice over. Analysis was most of the time of
indexing.
"""

import re
from functools import lru_cache

from whoosh import fields, formats
from whoosh.analysis import Composable, Token
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map
from whoosh.util.text import rcompile

STEM_CACHE_WORDS = 200_000
_PATTERN = rcompile(default_pattern)
_WORDS = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # the same words, for findall (no group)


class NewsAnalyzer(Composable):
    """Tokenise, lowercase, drop stop words (renumbering positions), stem, fold accents."""

    def __init__(self, language: str, stopwords: bool, stemming: bool):
        self.language = language
        self.stopwords = stopwords
        self.stemming = stemming
        self._setup()

    def _setup(self) -> None:
        self._stops = (frozenset(stopwords_for_language(self.language)) if self.stopwords
                       else frozenset())
        self._stem = stemmer_for_language(self.language) if self.stemming else None
        # word as written, lowercased -> index term (stemmed, then accent-folded)
        self._terms: dict[str, str] = {}
        # lowercased -> accent-folded (stop words kept for highlighting, or stemming off)
        self._folded: dict[str, str] = {}
        # the last value `occurrences` saw and its words, for `spelling_words` to reuse
        self._last: tuple[str, set[str]] = ("", set())

    def __getstate__(self):
        return {"language": self.language, "stopwords": self.stopwords,
                "stemming": self.stemming}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._setup()

    def __eq__(self, other):
        return (other.__class__ is self.__class__ and self.language == other.language
                and self.stopwords == other.stopwords and self.stemming == other.stemming)

    def __repr__(self):
        return (f"{self.__class__.__name__}({self.language!r}, stopwords={self.stopwords}, "
                f"stemming={self.stemming})")

    def has_morph(self) -> bool:
        return self.stemming

    def clean(self) -> None:
        self._terms.clear()
        self._folded.clear()

    def term(self, word: str) -> str:
        """The index term of one lowercased, non-stop word."""
        term = self._terms.get(word)
        if term is None:
            if len(self._terms) >= STEM_CACHE_WORDS:
                self._terms.clear()
            stemmed = self._stem(word) if self._stem else word
            term = self._terms[word] = stemmed.translate(accent_map)
        return term

    def fold(self, word: str) -> str:
        folded = self._folded.get(word)
        if folded is None:
            if len(self._folded) >= STEM_CACHE_WORDS:
                self._folded.clear()
            folded = self._folded[word] = word.translate(accent_map)
        return folded

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 no_morph=False, **kwargs):
        assert isinstance(value, str), f"{value!r} is not unicode"
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = value
            matches = [_Whole(value)]
        else:
            matches = _PATTERN.finditer(value)
        stops = self._stops
        filtering = self.stopwords
        morph = self.stemming and not no_morph
        known = self._terms if morph else self._folded
        convert = self.term if morph else self.fold
        fold = self.fold
        renumbered = None
        for pos, match in enumerate(matches):
            text = match.group()
            word = text.lower()
            t.boost = 1.0
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = start_pos + pos if tokenize else start_pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            if filtering and (not word or word in stops):  # StopFilter(minsize=1)
                if removestops:
                    continue
                t.stopped = True
                t.text = fold(word)
                yield t
                continue
            if positions:
                # StopFilter(renumber=True): kept words get consecutive positions
                renumbered = t.pos if renumbered is None else renumbered + 1
                t.pos = renumbered
            t.stopped = False
            t.text = known.get(word) or convert(word)
            yield t


    def matches(self, value: str, terms: frozenset[str]) -> list[Token]:
        """Tokens (with characters) of the words of `value` whose index term is in `terms`,
        as __call__(chars=True, removestops=False) marks them for a highlighter. Each
        distinct word is looked up once, then only the matching ones are found again by a
        regular expression that keeps to the tokenizer's word boundaries: a quarter of the
        time of analysing every word."""
        wanted = self.surface_words(value, terms)
        if not wanted:
            return []
        found = []
        for match in _surface_pattern(wanted).finditer(value):
            term = self._index_term(match.group().lower())
            if term in terms:
                found.append(Token(text=term, boost=1.0, startchar=match.start(),
                                   endchar=match.end(), matched=True, stopped=False))
        return found

    def surface_words(self, value: str, terms: frozenset[str]) -> frozenset[str]:
        """The distinct lowercased words of `value` that are indexed as one of `terms`."""
        index_term = self._index_term
        return frozenset(word for word in set(_WORDS.findall(value.lower()))
                         if index_term(word) in terms)

    def _index_term(self, word: str) -> str | None:
        """The index term of a lowercased word; None for a stop word."""
        if self.stopwords and word in self._stops:
            return None
        if self.stemming:
            return self._terms.get(word) or self.term(word)
        return self._folded.get(word) or self.fold(word)

    def occurrences(self, value: str, chars: bool) -> dict[str, list]:
        """Index term -> positions (or (position, start, end) with `chars`) of one value, as
        the Positions and Characters formats collect them from __call__(mode="index")."""
        stops = self._stops if self.stopwords else ()
        known = self._terms if self.stemming else self._folded
        convert = self.term if self.stemming else self.fold
        found: dict[str, list] = {}
        words = set()
        position = None
        for number, match in enumerate(_PATTERN.finditer(value)):
            word = match.group().lower()
            if word in stops:
                continue
            position = number if position is None else position + 1
            words.add(word)
            term = known.get(word) or convert(word)
            entry = (position, match.start(), match.end()) if chars else position
            places = found.get(term)
            if places is None:
                found[term] = [entry]
            else:
                places.append(entry)
        self._last = (value, words)
        return found

    def spelling_words(self, value: str) -> set[str]:
        """The value's words unstemmed, as __call__(no_morph=True) gives them."""
        last_value, words = self._last
        if last_value is not value:
            return {t.text for t in self(value, no_morph=True)}
        return {self.fold(word) for word in words}


@lru_cache(maxsize=1024)
def _surface_pattern(words: frozenset[str]) -> re.Pattern:
    """Finds `words` (lowercased) in any case where the tokenizer would find them as words."""
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<![\w*])(?<![\w*]\.)(?:%s)(?![\w*])(?!\.[\w*])" % alternatives,
                      re.IGNORECASE)


class NewsText(fields.TEXT):
    """A TEXT field analysed by its NewsAnalyzer in one pass per value."""

    def index(self, value, **kwargs):
        analyzer = self.analyzer
        kind = type(self.format)
        if (kwargs.keys() - {"mode"} or not isinstance(value, str)
                or not isinstance(analyzer, NewsAnalyzer)
                or kind not in (formats.Positions, formats.Characters)):
            return super().index(value, **kwargs)
        boost = self.format.field_boost
        encode = self.format.encode
        return [(term.encode("utf-8"), len(places), len(places) * boost, encode(places))
                for term, places in analyzer.occurrences(
                    value, chars=kind is formats.Characters).items()]

    def spellable_words(self, value):
        if isinstance(value, str) and isinstance(self.analyzer, NewsAnalyzer):
            return iter(sorted(self.analyzer.spelling_words(value)))
        return super().spellable_words(value)


class _Whole:
    """The whole value as one match, for tokenize=False."""

    def __init__(self, value: str):
        self.value = value

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)
