"""The fused analyzer and field index text exactly as Whoosh's filter chain and TEXT field
would (searchsvc.analysis exists for speed only)."""

from pathlib import Path

import pytest
from whoosh import fields
from whoosh.analysis import (CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter,
                             StopFilter)
from whoosh.lang import has_stemmer, has_stopwords, stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

from conftest import DATA, REPO
from searchsvc.analysis import NewsAnalyzer, NewsText
from searchsvc.schema import GENERIC, STEMMED_LANGUAGES, analyzer_for

TEXTS = [path.read_text(encoding="utf-8", errors="replace")
         for folder in (REPO / "seeds", DATA / "articles", DATA / "ingest", DATA / "newsroom")
         for path in sorted(Path(folder).iterdir()) if path.is_file()]
TEXTS += [
    "The U.S. economy's 3.141 big-time under_score: Straße, Ærø, café naïve, the OF AND",
    "Путин и Моди обсудили «Гаганьян»: космос, наука и торговля в 2025 году",
    "", "   ", "the of and a", "x", "a.b.c ...dots... 1.5% £20m",
]
OPTIONS = [
    {},
    {"positions": True, "chars": True, "mode": "index"},
    {"positions": True, "chars": True, "removestops": False},
    {"no_morph": True},
    {"mode": "query"},
    {"tokenize": False, "removestops": False, "mode": "query"},
    {"tokenize": False},
    {"positions": True, "start_pos": 5, "chars": True, "start_char": 10, "keeporiginal": True},
    {"no_morph": True, "positions": True, "removestops": False},
]
LANGUAGES = (*STEMMED_LANGUAGES, GENERIC)


def whoosh_chain(language: str):
    """What the analyzer replaces: Whoosh's own filters in a chain."""
    chain = RegexTokenizer() | LowercaseFilter()
    if language != GENERIC and has_stopwords(language):
        chain = chain | StopFilter(stoplist=stopwords_for_language(language), minsize=1)
    if language != GENERIC and has_stemmer(language):
        chain = chain | StemFilter(stemfn=stemmer_for_language(language), cachesize=100_000)
    return chain | CharsetFilter(accent_map)


def tokens(analyzer, text: str, **options) -> list[tuple]:
    return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None),
             getattr(t, "endchar", None), t.stopped, getattr(t, "original", None), t.boost)
            for t in analyzer(text, **options)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_analyzer_yields_the_tokens_of_whooshs_filter_chain(language):
    fused, chain = analyzer_for(language), whoosh_chain(language)
    assert isinstance(fused, NewsAnalyzer)
    assert fused.has_morph() == chain.has_morph()
    for text in TEXTS:
        for options in OPTIONS:
            assert tokens(fused, text, **options) == tokens(chain, text, **options), options


@pytest.mark.parametrize("language", ["en", "ru", "de", GENERIC])
@pytest.mark.parametrize("chars", [False, True])
def test_field_indexes_and_spells_a_text_as_whooshs_text_field(language, chars):
    fused = NewsText(analyzer=analyzer_for(language), chars=chars, spelling=True,
                     field_boost=2.0)
    plain = fields.TEXT(analyzer=whoosh_chain(language), chars=chars, spelling=True,
                        field_boost=2.0)
    for text in TEXTS:
        assert sorted(fused.index(text)) == sorted(plain.index(text))
        assert list(fused.spellable_words(text)) == list(plain.spellable_words(text))
    # spelling words of a text other than the one just indexed are computed afresh
    fused.index(TEXTS[0])
    assert list(fused.spellable_words(TEXTS[1])) == list(plain.spellable_words(TEXTS[1]))
