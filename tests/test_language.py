"""Language detection: news in languages with and without a Snowball stemmer is told apart,
short or language-less text gets the documented answer, metadata still wins, and the search
server never loads the detector. tests/data/languages holds short articles composed for these
tests (headline, blank line, body), one per language, named by its ISO 639-1 code."""

import importlib.util
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import DATA, REPO, corpus
from searchsvc.articles import SourceFile, read_file
from searchsvc.articles.language import UNDETERMINED, detect_language
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest

LANGUAGES = DATA / "languages"
COMPOSED = sorted(LANGUAGES.glob("*.txt"))
# Latin-script languages without a Snowball stemmer: the old detector took them for English,
# Italian or Dutch.
WITHOUT_STEMMER = ("sw", "ha", "yo", "so", "id", "tl")


def read_article(path):
    (article,) = read_file(SourceFile(str(path), path.name, "sig"))
    return article


def headline(path) -> str:
    return path.read_text(encoding="utf-8").split("\n", 1)[0]


@pytest.mark.parametrize("path", COMPOSED, ids=lambda path: path.stem)
def test_article_is_detected_as_the_language_it_is_written_in(path):
    assert read_article(path).language == path.stem


@pytest.mark.parametrize("language", WITHOUT_STEMMER)
def test_language_without_a_stemmer_is_its_own_in_body_and_headline(language):
    path = LANGUAGES / f"{language}.txt"
    assert detect_language(path.read_text(encoding="utf-8")) == language
    assert detect_language(headline(path)) == language


@pytest.mark.parametrize(("written_in", "answer"), [
    ("en", "en"),
    ("de", "de"),
    ("hi", "hi"),
    ("mr", "mr"),  # Devanagari, but not Hindi
    ("uk", "uk"),  # Cyrillic, but not Russian
    ("ru", UNDETERMINED),  # four Cyrillic words that could be Russian, Bulgarian or Serbian
])
def test_headline_alone_gets_a_confident_answer_or_undetermined(written_in, answer):
    assert detect_language(headline(LANGUAGES / f"{written_in}.txt")) == answer


@pytest.mark.parametrize(("text", "language"), [
    pytest.param("שריפה בחיפה", "he", id="he"),
    pytest.param("서울", "ko", id="ko"),
    pytest.param("北京今天发生暴雨，交通受阻", "zh", id="zh"),
])
def test_text_too_short_for_the_detector_is_named_by_a_script_of_one_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param("   \n\n ", id="spaces"),
    pytest.param("2024-05-06 17:45 — 12.5 %", id="figures"),
    pytest.param("Shr 78 cts vs 1.16 dlrs\n\nNet 6.7 mln vs 9.5 mln\n\nRevs 278 mln vs 290 mln",
                 id="results-table"),
])
def test_text_that_holds_no_language_is_undetermined_not_english(text):
    assert detect_language(text) == UNDETERMINED


def test_characters_the_detector_rejects_do_not_stop_detection():
    swahili = (LANGUAGES / "sw.txt").read_text(encoding="utf-8")
    assert detect_language("\x00\x0b\x85\ud800\ufffe\U0010ffff" + swahili) == "sw"


@given(st.text())
def test_any_text_gets_a_two_letter_code_or_undetermined(text):
    assert re.fullmatch(r"[a-z]{2}|und", detect_language(text))


def test_metadata_language_wins_over_detection(tmp_path):
    english = (LANGUAGES / "en.txt").read_text(encoding="utf-8")
    declared = tmp_path / "declared.txt"
    declared.write_text(f"language fr-FR\n\n{english}", encoding="utf-8")
    assert read_article(declared).language == "fr"
    swahili = tmp_path / "swahili.txt"
    swahili.write_text(f"language sw-TZ\n\n{headline(LANGUAGES / 'sw.txt')}", encoding="utf-8")
    assert read_article(swahili).language == "sw"


def test_indexed_articles_are_filtered_and_counted_by_detected_language(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    for path in COMPOSED:
        (folder / path.name).write_bytes(path.read_bytes())
    update_index(tmp_path / "index", [folder], progress=False)
    index = SearchIndex(tmp_path / "index")
    assert {path.stem: index.article(f"news/{path.name}").language for path in COMPOSED} == {
        path.stem: path.stem for path in COMPOSED}
    results = index.search(SearchRequest("serikali"))
    assert [(f.value, f.count) for f in results.facets["language"]] == [("sw", 1)]
    assert index.search(SearchRequest("serikali", language="sw")).total == 1
    assert index.search(SearchRequest("serikali", language="en")).total == 0


def test_search_server_does_not_load_the_detector():
    code = ("import sys; from searchsvc.web import create_app; from searchsvc import searching; "
            "print('pycld2' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=REPO)
    assert shown.stdout.strip() == "False"


# ---- the shared corpora (skipped where ../shared/corpora is absent) -------------------------

@pytest.fixture(scope="module")
def bench():
    """bench/languages.py, whose readers turn each corpus into texts and expected languages."""
    spec = importlib.util.spec_from_file_location("bench_languages", REPO / "bench" / "languages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def mistakes(samples) -> list[tuple[str, str, str]]:
    return [(s.language, detect_language(s.text), s.text[:60]) for s in samples
            if detect_language(s.text) != s.language]


@pytest.mark.corpus
def test_readability_news_pages_are_detected_as_the_language_they_are_in(bench):
    samples = list(bench.readability_news(corpus("readability-news")))
    assert len(samples) == 40
    assert mistakes(samples) == []


@pytest.mark.corpus
def test_russian_news_articles_are_detected_as_russian(bench):
    samples = list(bench.russian_news(corpus("russian-news")))
    assert len(samples) == 93
    assert mistakes(samples) == []


@pytest.mark.corpus
def test_hindi_headlines_are_detected_as_hindi(bench):
    samples = list(bench.hindi_headlines(corpus("hindi-news-headlines")))
    assert len(mistakes(samples)) <= len(samples) // 200  # 99.5%


@pytest.mark.corpus
def test_bbc_articles_are_detected_as_english(bench):
    assert mistakes(bench.bbc(corpus("bbc"))) == []
