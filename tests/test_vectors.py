"""The array evaluator (searchsvc.vectors) against Whoosh's own matchers, on real indexed
articles in several languages, with an index that has deleted documents: same matches,
same scores; and snippets from stored character offsets equal to snippets from analysis."""

import shutil

import numpy as np
import pytest

from conftest import DATA, REPO
from searchsvc.indexing import update_index
from searchsvc.schema import build_schema, text_fields
from searchsvc.searching import SearchIndex, SearchRequest, _marks, _query_words

QUERIES = [
    "strike", "Rotterdam port strike", "oil prices", "rates AND interest",
    "volcano NOT pipeline", "port ANDMAYBE Antwerp", '"port fees"',
    '"interest rates"~3', '"dockers strike"~4 pay', "title:volcano OR body:lava",
    "космонавтов", "(oil OR gas) AND (prices OR output)", "Gaganyaan", "nosuchwordatall",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("vectors")
    news = folder / "news"
    shutil.copytree(REPO / "seeds", news)
    for source in ("search", "newsroom", "ingest"):
        for path in (DATA / source).iterdir():
            shutil.copy(path, news / f"{source}-{path.name}")
    update_index(folder / "index", [news], progress=False)
    # a changed article is deleted and added again: the index now has deleted documents
    changed = news / "search-oil_prices.txt"
    changed.write_text(changed.read_text() + "\n\nTraders expect more volatility in prices.\n")
    update_index(folder / "index", [news], progress=False)
    return SearchIndex(folder / "index")


def test_the_index_under_test_has_deleted_documents(index):
    assert index._context().searcher.reader().has_deletions()


@pytest.mark.parametrize("text", QUERIES)
def test_arrays_match_and_score_as_whoosh_does(index, text):
    context = index._context()
    parsed = index._parse(context, text)
    evaluator = context.evaluator
    live = evaluator.postings.live(context.searcher)
    ours = evaluator.run(parsed)
    whoosh = evaluator._whoosh(parsed)
    expected = np.flatnonzero(whoosh.matched & live)
    assert np.flatnonzero(ours.matched).tolist() == expected.tolist()
    assert ours.scores[expected] == pytest.approx(whoosh.scores[expected], rel=1e-9)
    if text != "nosuchwordatall":
        assert len(expected), f"{text!r} should match something in the fixtures"


def test_andnot_excludes_every_article_holding_the_unwanted_words(index):
    """Whoosh's AndNotMatcher keeps the first article of the wanted side when the unwanted
    side starts at a lower document number (it only skips ahead when their first ids are
    equal): `strike ANDNOT harbour` listed the harbour strike story. The arrays do not."""
    context = index._context()
    parsed = index._parse(context, "strike ANDNOT harbour")
    evaluator = context.evaluator
    live = evaluator.postings.live(context.searcher)
    wanted, unwanted = evaluator._whoosh(parsed.a), evaluator._whoosh(parsed.b)
    expected = np.flatnonzero(wanted.matched & ~unwanted.matched & live)
    ours = evaluator.run(parsed)
    assert np.flatnonzero(ours.matched).tolist() == expected.tolist()
    assert ours.scores[expected] == pytest.approx(wanted.scores[expected], rel=1e-9)
    found = index.search(SearchRequest(q="strike ANDNOT harbour"))
    assert found.hits and all("harbour" not in (hit.title + hit.snippet).lower()
                              for hit in found.hits)
    assert "news/newsroom-harbour-strike.txt" not in [hit.id for hit in found.hits]


def test_deleted_versions_are_not_found(index):
    results = index.search(SearchRequest(q="volatility"))
    assert [hit.id for hit in results.hits] == ["news/search-oil_prices.txt"]
    assert results.total_articles == 1


def test_prefixes_match_what_whoosh_matches(index):
    context = index._context()
    parsed = index._parse(context, "harb*")
    evaluator = context.evaluator
    live = evaluator.postings.live(context.searcher)
    expected = np.flatnonzero(evaluator._whoosh(parsed).matched & live)
    assert len(expected) >= 2
    assert np.flatnonzero(evaluator.run(parsed).matched).tolist() == expected.tolist()


@pytest.mark.parametrize("text", ["oil prices", "port strike", "космонавтов", "harbour"])
def test_snippet_marks_from_stored_offsets_equal_those_from_analysis(index, text):
    context = index._context()
    searcher = context.searcher
    parsed = index._parse(context, text)
    results = index.search(SearchRequest(q=text, per_page=20))
    assert results.hits
    for hit in results.hits:
        docnum = searcher.document_number(id=hit.id)
        stored = searcher.stored_fields(docnum)
        _, field = text_fields(stored.get("language"))
        words = _query_words(parsed, searcher.reader(), field)
        from_offsets = _marks(context, docnum, field, stored[field], words)
        analysed = build_schema()[field].analyzer.matches(stored[field], words)
        assert from_offsets, f"{hit.id} should hold one of {sorted(words)}"
        assert [(m.startchar, m.endchar, m.text) for m in from_offsets] == \
               [(m.startchar, m.endchar, m.text) for m in analysed]


def test_postings_kept_in_memory_stay_within_their_capacity(index):
    """The postings cache drops the least recently used terms beyond its capacity, and
    searches over a small cache give the same answers as over a large one."""
    from searchsvc.vectors import Evaluator, Postings

    context = index._context()
    small = Postings(context.searcher.doc_count_all(), capacity=6)
    evaluator = Evaluator(context.searcher, small)
    for text in QUERIES:
        parsed = index._parse(context, text)
        ours = evaluator.run(parsed)
        reference = context.evaluator.run(parsed)
        assert np.flatnonzero(ours.matched).tolist() == \
            np.flatnonzero(reference.matched).tolist()
        assert ours.scores == pytest.approx(reference.scores, rel=1e-9)
        assert small._held <= small.capacity or len(small._terms) == 1
    assert len(small._terms) >= 1
