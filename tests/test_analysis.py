"""Analysis gives the terms Whoosh's filter chain gives, in every language; the segment writer
(which analyses through its own word caches, for speed) stores exactly those terms, in word
order, for every document; marks for highlighting find the words whose terms match."""

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh.analysis import (CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter,
                             StopFilter)
from whoosh.lang import has_stemmer, has_stopwords, stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

from conftest import DATA, REPO
from searchsvc.analysis import (GENERIC, STEMMED_LANGUAGES, Analysis, analysis_language,
                                split_words, whole_words)
from searchsvc.segments import DocumentValues, SegmentArrays, SegmentBuilder, StoredText

TEXTS = [path.read_text(encoding="utf-8", errors="replace")
         for folder in (REPO / "seeds", DATA / "articles", DATA / "ingest", DATA / "newsroom")
         for path in sorted(Path(folder).iterdir()) if path.is_file()]
TEXTS += [
    "The U.S. economy's 3.141 big-time under_score: Straße, Ærø, café naïve, the OF AND",
    "Путин и Моди обсудили «Гаганьян»: космос, наука и торговля в 2025 году",
    "", "   ", "the of and a", "x", "a.b.c ...dots... 1.5% £20m", "İstanbul IŞIK ǅemal",
]
LANGUAGES = (*STEMMED_LANGUAGES, GENERIC)


def whoosh_chain(language: str):
    """What the analysis replaces: Whoosh's own filters in a chain."""
    chain = RegexTokenizer() | LowercaseFilter()
    if language != GENERIC and has_stopwords(language):
        chain = chain | StopFilter(stoplist=stopwords_for_language(language), minsize=1)
    if language != GENERIC and has_stemmer(language):
        chain = chain | StemFilter(stemfn=stemmer_for_language(language), cachesize=100_000)
    return chain | CharsetFilter(accent_map)


@pytest.mark.parametrize("language", LANGUAGES)
def test_terms_are_those_of_whooshs_filter_chain(language):
    analysis, chain = Analysis(language), whoosh_chain(language)
    for text in TEXTS:
        expected = [t.text for t in chain(text, positions=True)]
        assert analysis.terms(text) == expected
        positions = [t.pos for t in chain(text, positions=True)]
        assert np.diff(positions).tolist() == [1] * (len(positions) - 1)  # renumbered


@pytest.mark.parametrize("language", ["en", "ru", "de", GENERIC])
def test_the_segment_stores_every_documents_terms_in_word_order(tmp_path, language):
    analysis = Analysis(language)
    builder = SegmentBuilder()
    for number, text in enumerate(TEXTS):
        builder.add({"title": text[:60], "body": text}, analysis,
                    DocumentValues(date=number, dupkey=number, source=None, language=language,
                                   analysis=language),
                    StoredText(str(number), text[:60], text, None, 0))
    builder.write(tmp_path, "seg")
    segment = SegmentArrays(tmp_path, "seg")
    stored = list(segment.fields["body"].documents(np.arange(len(TEXTS))))
    assert stored == [analysis.terms(text) for text in TEXTS]
    titles = list(segment.fields["title"].documents(np.arange(len(TEXTS))))
    assert titles == [analysis.terms(text[:60]) for text in TEXTS]
    lengths = segment.fields["body"].lengths.tolist()
    assert lengths == [len(analysis.terms(text)) for text in TEXTS]


def test_the_vocabulary_counts_the_documents_holding_each_word_as_written(tmp_path):
    analysis = Analysis("en")
    builder = SegmentBuilder()
    texts = ["Harbours and the harbour", "HARBOUR news", "Café society", "cafe"]
    for text in texts:
        builder.add({"body": text}, analysis, DocumentValues(0, 0, None, "en", "en"),
                    StoredText(text, "", text, None, 0))
    builder.write(tmp_path, "seg")
    segment = SegmentArrays(tmp_path, "seg")
    words = dict(zip((w.decode() for w in segment.vocabulary.words()),
                     segment.vocabulary_counts.tolist()))
    # lowercased and folded, stop words left out, once per document
    assert words == {"harbours": 1, "harbour": 2, "news": 1, "cafe": 2, "society": 1}


@pytest.mark.parametrize("language", ["en", "ru", GENERIC])
def test_marks_find_the_words_whose_terms_match(language):
    analysis, chain = Analysis(language), whoosh_chain(language)
    for text in TEXTS:
        terms = frozenset(analysis.terms(text)[::3])
        expected = [(t.startchar, t.endchar, t.text) for t in chain(text, chars=True)
                    if t.text in terms]
        for _ in range(2):  # its words new to the analysis, then known
            assert [(m.startchar, m.endchar, m.text)
                    for m in analysis.matches(text, terms)] == expected


def test_languages_without_a_stemmer_share_the_generic_analysis():
    assert analysis_language("sw") == GENERIC == analysis_language("hi")
    assert analysis_language("ru") == "ru" and analysis_language(None) == "en"
    # no other language's stop words: "ad" (an Italian stop word) stays a word
    assert Analysis(GENERIC).terms("Ad hoc habari za Kenya") == ["ad", "hoc", "habari", "za",
                                                                 "kenya"]


def test_whole_words_finds_a_word_exactly_where_split_words_has_it():
    """Marks and the typed-form bonus look each word up instead of splitting each text; on
    texts of word characters (numerals and letters of any script), dots, asterisks,
    combining marks and separators, they find what splitting does."""
    pieces = ["a", "b", "ab", "ba", "u", "s", ".", " ", "*", "_", "é", "1", "-", ",", "..",
              "a.b", "b.a", "\u00b2", "\u0301", "\u0414", "\u00b7"]
    draw = random.Random(5)
    for _ in range(5000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 20)))
        forms = set(split_words("".join(draw.choice(pieces) for _ in range(8)))) or {"ab"}
        assert [word for _, _, word in whole_words(text, forms)] == [
            w for w in split_words(text) if w in forms]
    assert whole_words("the u.s. dollar, u.s.a and u.s", {"u.s"}) == [(4, 7, "u.s"),
                                                                      (27, 30, "u.s")]
