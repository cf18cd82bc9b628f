"""The array evaluator (searchsvc.evaluation) against Whoosh's own matchers: the articles of an
index in four languages, written in several segments, are indexed again into a plain Whoosh
index holding the same terms; every query form must match the same articles with the same
scores. Deleted articles are never found."""

import shutil

import numpy as np
import pytest
from whoosh import fields, scoring
from whoosh.analysis import RegexTokenizer
from whoosh.filedb.filestore import RamStorage

import searchsvc.writing
from conftest import DATA, REPO
from searchsvc.analysis import analysis_for
from searchsvc.generation import FIELD_BOOSTS
from searchsvc.indexing import update_index
from searchsvc.weighting import term_scores
from searchsvc.searching import SearchIndex, SearchRequest

QUERIES = [
    "strike", "Rotterdam port strike", "oil prices", "rates AND interest",
    "volcano NOT pipeline", "port ANDMAYBE Antwerp", '"port fees"',
    '"interest rates"~3', '"dockers strike"~4 pay', "title:volcano OR body:lava",
    "космонавтов", "(oil OR gas) AND (prices OR output)", "Gaganyaan", "nosuchwordatall",
    "harb*", "st?ike", "the economy", "Космос OR space", "title:(strike OR harbour)",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("evaluation")
    news = folder / "news"
    shutil.copytree(REPO / "seeds", news)
    for source in ("search", "newsroom", "ingest"):
        for path in (DATA / source).iterdir():
            shutil.copy(path, news / f"{source}-{path.name}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchsvc.writing, "WRITER_MEMORY_MB", 0.01)  # a segment every ~260 words
        update_index(folder / "index", [news], progress=False)
    return SearchIndex(folder / "index")


class _Oracle(scoring.WeightingModel):
    """In_expC2 as Whoosh would run it, with the collection statistics of the Whoosh index
    and each document's exact field length (Whoosh's own are rounded to a byte)."""

    def __init__(self, lengths):
        self.lengths = lengths

    def scorer(self, searcher, fieldname, text, qf=1):
        parent = searcher.get_parent()
        lengths = self.lengths[fieldname]
        statistics = dict(
            average_length=parent.field_length(fieldname) / parent.doc_count_all(),
            documents=parent.doc_count_all(), frequency=parent.frequency(fieldname, text),
            doc_frequency=parent.doc_frequency(fieldname, text))
        offset = 0
        if not searcher.is_atomic() or searcher is not parent:
            offset = dict((id(s), o) for s, o in parent.subsearchers).get(id(searcher), 0)

        class Scorer(scoring.BaseScorer):
            def score(self, matcher):
                return float(term_scores(np.array([matcher.weight()]),
                                         np.array([lengths[matcher.id() + offset]]),
                                         **statistics)[0])

        return Scorer()


@pytest.fixture(scope="module")
def oracle(index):
    """A plain Whoosh index of the same articles' terms, in the same document order."""
    context = index._context()
    generation = context.generation
    schema = fields.Schema(**{name: fields.TEXT(analyzer=RegexTokenizer(r"\S+"),
                                                field_boost=FIELD_BOOSTS[name])
                              for name in ("title", "body")})
    whoosh_index = RamStorage().create_index(schema)
    writer = whoosh_index.writer()
    for docnum in range(generation.size):
        article = context.stored(docnum)
        analysis = analysis_for(article.language)
        writer.add_document(title=" ".join(analysis.terms(article.title)),
                            body=" ".join(analysis.terms(article.body)))
    writer.commit()
    lengths = {name: np.asarray(generation.lengths[name]) for name in ("title", "body")}
    return whoosh_index.searcher(weighting=_Oracle(lengths))


def whoosh_matches(searcher, q) -> dict[int, float]:
    matcher = q.matcher(searcher, searcher.context())
    found = {}
    while matcher.is_active():
        found[matcher.id()] = matcher.score()
        matcher.next()
    return found


def test_the_index_under_test_has_several_segments_and_languages(index):
    generation = index._context().generation
    assert len(generation.segments) > 3
    assert {"en", "ru", "de", "fr"} <= set(generation.analyses)


@pytest.mark.parametrize("text", QUERIES)
def test_arrays_match_and_score_as_whoosh_does(index, oracle, text):
    context = index._context()
    parsed = context.parse(text).query
    ours = context.evaluator.run(parsed)
    expected = whoosh_matches(oracle, parsed)
    if "NOT" in text:  # Whoosh's AndNotMatcher can keep a first excluded article
        expected = {d: s for d, s in expected.items() if d in set(ours.docs.tolist())}
    assert ours.docs.tolist() == sorted(expected)
    if "*" in text or "?" in text:
        return  # Whoosh drops the field boost of a pattern that expands to one word
    assert ours.scores.tolist() == pytest.approx([expected[d] for d in sorted(expected)],
                                                 rel=1e-9)
    if text not in ("nosuchwordatall", "the economy"):
        assert len(ours), f"{text!r} should match something in the fixtures"


def test_andnot_excludes_every_article_holding_the_unwanted_words(index):
    found = index.search(SearchRequest(q="strike ANDNOT harbour"))
    assert found.hits and all("harbour" not in (hit.title + hit.snippet).lower()
                              for hit in found.hits)
    assert "news/newsroom-harbour-strike.txt" not in [hit.id for hit in found.hits]


def test_deleted_versions_are_not_found(tmp_path):
    news = tmp_path / "news"
    shutil.copytree(DATA / "search", news)
    update_index(tmp_path / "index", [news], progress=False)
    changed = news / "oil_prices.txt"
    changed.write_text(changed.read_text() + "\n\nTraders expect more volatility in prices.\n")
    update_index(tmp_path / "index", [news], progress=False)
    index = SearchIndex(tmp_path / "index")
    generation = index._context().generation
    assert not np.asarray(generation.live).all()  # the old version is deleted, not gone
    results = index.search(SearchRequest(q="volatility"))
    assert [hit.id for hit in results.hits] == ["news/oil_prices.txt"]
    assert results.total_articles == 1
    assert index.search(SearchRequest(q="oil")).total_articles == \
        sum(1 for p in news.iterdir() if "oil" in p.read_text().lower())
