"""Search features on real indexed articles: the seeds plus tests/data/search (wire versions
of one story, routine stories that reuse a headline, a volcano story told twice, keyword
articles), and the shared Reuters and TIME collections where this machine has them."""

import datetime as dt
import re
import shutil

import pytest

from conftest import DATA, REPO, corpus
from searchsvc.errors import ArticleNotFound, QueryError
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest

STRIKE = "Rotterdam dockers end strike after pay deal"
FEES = "Rotterdam port fees unchanged"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("features")
    articles = folder / "news"
    shutil.copytree(REPO / "seeds", articles)
    for path in [*(DATA / "search").iterdir(), DATA / "articles" / "xss.txt"]:
        shutil.copy(path, articles / path.name)
    update_index(folder / "index", [articles], progress=False)
    return SearchIndex(folder / "index")


def search(index: SearchIndex, q: str, **kwargs):
    return index.search(SearchRequest(q=q, **kwargs))


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def test_wire_versions_of_one_story_are_listed_once_with_their_count(index):
    results = search(index, "Rotterdam dockers strike")
    assert titles(results).count(STRIKE) == 1
    (strike,) = [hit for hit in results.hits if hit.title == STRIKE]
    assert strike.similar == 2
    assert results.total == results.total_articles - 2
    assert results.total == len(results.hits)


def test_the_best_matching_version_stands_for_the_story(index):
    results = search(index, "cargo diverted to Antwerp")
    assert results.hits[0].id == "news/port_strike_1400.txt"
    assert results.hits[0].similar == 0  # the other versions do not mention Antwerp
    versions = search(index, "ships waited at anchor").hits[0]
    assert versions.id in ("news/port_strike_1130.txt", "news/port_strike_1400.txt")
    assert versions.similar == 1


def test_routine_stories_reusing_a_headline_are_not_collapsed(index):
    results = search(index, "port fees unchanged")
    fees = [hit for hit in results.hits if hit.title == FEES]
    assert len(fees) == 2
    assert {hit.similar for hit in fees} == {0}


def test_facets_count_the_listed_results(index):
    results = search(index, "Rotterdam")
    assert results.total == 3 and results.total_articles == 5
    assert [(f.value, f.count) for f in results.facets["source"]] == [("Wirepress", 3)]
    assert [(f.value, f.count) for f in results.facets["month"]] == [
        ("2024-03", 2), ("2024-04", 1)]
    assert [(f.value, f.count) for f in results.facets["language"]] == [("en", 3)]


def test_facets_follow_the_filters(index):
    results = search(index, "Rotterdam OR volcano OR oil", date_from=dt.date(2024, 2, 1),
                     date_to=dt.date(2024, 3, 31))
    assert {(f.value, f.count) for f in results.facets["month"]} == {("2024-02", 2),
                                                                      ("2024-03", 2)}
    assert {(f.value, f.count) for f in results.facets["source"]} == {("Nordic Desk", 2),
                                                                       ("Wirepress", 2)}


def test_date_range_source_and_language_filters(index):
    march = search(index, "Rotterdam", date_from=dt.date(2024, 3, 1),
                   date_to=dt.date(2024, 3, 31))
    assert sorted(titles(march)) == sorted([FEES, STRIKE])
    nordic = search(index, "peninsula OR Rotterdam", source="Nordic Desk")
    assert {hit.source for hit in nordic.hits} == {"Nordic Desk"} and nordic.total == 2
    assert search(index, "Rotterdam", language="ru").total == 0
    assert search(index, "Rotterdam", language="en").total == 3


def test_sort_by_newest_and_oldest(index):
    newest = search(index, "Rotterdam", sort="newest")
    assert [hit.date for hit in newest.hits] == sorted((hit.date for hit in newest.hits),
                                                       reverse=True)
    assert newest.hits[0].title == FEES and newest.hits[0].date == dt.date(2024, 4, 2)
    oldest = search(index, "Rotterdam", sort="oldest")
    assert oldest.hits[0].date == dt.date(2024, 3, 1)


def test_two_word_query_ranks_articles_with_both_words_first(index):
    results = search(index, "oil prices")
    assert results.hits[0].id == "news/oil_prices.txt"
    assert {hit.id for hit in results.hits[1:]} >= {"news/oil_output.txt",
                                                    "news/food_prices.txt"}


def test_a_word_also_finds_the_variants_that_occur_with_it(index):
    """The stemmer keeps `syria` and `syrian` apart; they mostly occur in the same articles,
    so a search for one also lists the articles with only the other, after those holding the
    word typed. `porto` never occurs with `port`: the port articles do not bring it in."""
    ids = [hit.id for hit in search(index, "syria").hits]
    assert set(ids[:2]) == {"news/syria_talks.txt", "news/syria_trade.txt"}
    assert ids[2:] == ["news/syrian_refugees.txt"]
    port = search(index, "port", per_page=100)
    assert len(port.hits) == port.total >= 3
    assert "news/porto_wine.txt" not in {hit.id for hit in port.hits}


def test_words_found_together_rank_above_words_found_apart(index):
    results = search(index, "interest rates")
    assert [hit.id for hit in results.hits] == ["news/rates_together.txt",
                                                "news/rates_apart.txt"]


def test_sentence_query_finds_the_article_about_it(index):
    results = search(index, "what happened to the heating of homes near the Svartsengi "
                            "geothermal plant during the eruption")
    assert results.hits[0].id == "news/volcano_lava.txt"
    assert results.total >= 2  # words are not all required: the other volcano story too


def test_did_you_mean_corrects_a_misspelled_word_from_the_index(index):
    results = search(index, "cosmonout")
    assert results.total == 0
    assert results.suggestion == "cosmonaut"
    assert search(index, "cosmonaut").suggestion is None


@pytest.mark.parametrize("q, expected", [
    ('"oil prices"~3', ["news/oil_prices.txt"]),
    ('"prices oil"', []),
    ("volcano NOT pipeline", ["news/volcano_eruption.txt"]),
    ("erupt* AND NOT (pipeline OR heating)", ["news/volcano_eruption.txt"]),
    ("title:volcano", ["news/volcano_eruption.txt"]),
    ("grindav*", ["news/volcano_eruption.txt", "news/volcano_lava.txt"]),
    ("reykjanez~", ["news/volcano_eruption.txt", "news/volcano_lava.txt"]),
    ("source:Wirepress AND dues", ["news/port_fees_april.txt", "news/port_fees_march.txt"]),
])
def test_expert_syntax(index, q, expected):
    assert sorted(hit.id for hit in search(index, q).hits) == expected


@pytest.mark.parametrize("q, message", [
    ("*", "would match every article"),
    ("*dam", "wildcards need at least 2 letters"),
    ("r*", "wildcards need at least 2 letters"),
    ("date:[garbage to]", "cannot"),
])
def test_expensive_or_broken_queries_are_refused_with_a_message(index, q, message):
    with pytest.raises(QueryError, match=message):
        search(index, q)


def test_suggest_completes_a_word_from_the_index(index):
    assert index.suggest("gag")[0] == "gaganyaan"
    assert index.suggest("Gag")[0] == "gaganyaan"


def test_suggest_completes_the_last_word_and_offers_headlines(index):
    suggestions = index.suggest("Rotterdam dock")
    assert set(suggestions[:2]) == {"Rotterdam dockworkers", "Rotterdam dockers"}
    assert STRIKE in suggestions
    assert index.suggest("volcano ", limit=3) == [
        "Volcano erupts on Iceland's Reykjanes peninsula"]


def test_suggest_respects_the_limit_and_answers_nothing_for_nothing(index):
    assert len(index.suggest("p", limit=2)) == 2
    assert index.suggest("") == []
    assert index.suggest("zzzzqx") == []


@pytest.mark.parametrize("prefix, limit, message", [
    ("x" * 1001, 8, "limit is 1000"),
    ("gag\x00", 8, "NUL"),
    ("gag", 0, "limit must be between 1 and 20"),
    ("gag", 21, "limit must be between 1 and 20"),
])
def test_suggest_refuses_bad_input(index, prefix, limit, message):
    with pytest.raises(QueryError, match=message):
        index.suggest(prefix, limit=limit)


def test_related_finds_the_same_story_told_differently(index):
    related = index.related("news/volcano_eruption.txt")
    assert related[0].id == "news/volcano_lava.txt"
    assert "news/volcano_eruption.txt" not in [hit.id for hit in related]
    assert related[0].snippet


def test_related_leaves_out_the_articles_own_versions(index):
    related = index.related("news/port_strike_0900.txt", limit=5)
    ids = [hit.id for hit in related]
    assert not [i for i in ids if i.startswith("news/port_strike_")]
    assert ids[0].startswith("news/port_fees_")


def test_related_of_an_unknown_article_is_not_found(index):
    with pytest.raises(ArticleNotFound):
        index.related("news/nope.txt")


def test_article_paragraphs_as_html_with_the_query_words_marked(index):
    article = index.article("news/volcano_lava.txt", q="eruption heating")
    assert len(article.body_html) == 2
    assert "<mark>eruption</mark>" in article.body_html[0]
    assert "without <mark>heating</mark>" in article.body_html[0]
    assert "has <mark>erupted</mark> three" in article.body_html[1]  # same stem
    assert "<mark>" not in index.article("news/volcano_lava.txt", q="heating").body_html[1]
    assert "of <mark>Grindavik</mark> were" in index.article("news/volcano_lava.txt",
                                                              q="grind*").body_html[1]


def test_article_html_is_escaped(index):
    plain = index.article("news/xss.txt")
    assert plain.body_html and not any("<mark>" in p for p in plain.body_html)
    assert not any("<script>" in p or "<iframe" in p for p in plain.body_html)
    assert "&lt;script&gt;" in plain.body_html[0]
    marked = index.article("news/xss.txt", q="script harbour")
    assert "<mark>harbour</mark>" in marked.body_html[0]
    assert "<script>" not in marked.body_html[0]


@pytest.fixture(scope="module")
def reuters(tmp_path_factory) -> SearchIndex:
    """The first file of Reuters-21578 (1,000 articles, some of them sent twice)."""
    sgm = corpus("reuters21578") / "reut2-000.sgm"
    folder = tmp_path_factory.mktemp("reuters")
    update_index(folder / "index", [sgm], progress=False)
    return SearchIndex(folder / "index")


@pytest.mark.corpus
def test_reuters_story_sent_twice_is_listed_once(reuters):
    results = reuters.search(SearchRequest(q="Qantas 747-400"))
    qantas = [hit for hit in results.hits if "QANTAS" in hit.title]
    assert [hit.title for hit in qantas] == ["QANTAS TO BUY FOUR 747-400'S FOR ONE BILLION DLRS"]
    assert qantas[0].similar == 1


@pytest.mark.corpus
def test_reuters_related_and_suggestions(reuters):
    opec = reuters.search(SearchRequest(q="OPEC output ceiling Subroto")).hits[0]
    related = reuters.related(opec.id)
    assert len(related) == 5
    assert sum("OPEC" in hit.title or "OIL" in hit.title for hit in related) >= 3
    assert "subroto" in reuters.suggest("subr")


def test_snippet_passages_never_repeat_text(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(DATA / "newsroom" / "grain-exports-rise.txt", folder)
    update_index(tmp_path / "index", [folder], progress=False)
    (hit,) = search(SearchIndex(tmp_path / "index"), "harbour").hits
    passages = [p.replace("<mark>", "").replace("</mark>", "").strip(" …")
                for p in hit.snippet.split(" … ")]
    assert hit.snippet.count("<mark>harbour</mark>") == 2
    words = " ".join(passages).split()
    trigrams = list(zip(words, words[1:], words[2:]))
    assert len(trigrams) == len(set(trigrams))  # no run of three words shown twice


def test_snippets_stay_short_when_a_word_is_everywhere(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    sentences = [f"The harbour authority reported event number {n} near the pier." for n in range(60)]
    (folder / "long.txt").write_text("Harbour log\n\n" + " ".join(sentences) + "\n")
    update_index(tmp_path / "index", [folder], progress=False)
    (hit,) = search(SearchIndex(tmp_path / "index"), "harbour").hits
    text = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<mark>harbour</mark>" in hit.snippet
    assert len(text) <= 4 * 240
    numbers = re.findall(r"number (\d+) near", text)
    assert numbers and len(numbers) == len(set(numbers))  # no sentence shown twice


@pytest.mark.parametrize("q", ["rotterdam", "port strike", "oil prices volcano", "harbour"])
def test_ranking_only_the_best_by_score_lists_what_ranking_all_lists(index, q, monkeypatch):
    """Stories.listed tries the articles the proximity bonus went to first; the pages must be
    those that ranking every matched article gives."""
    from searchsvc.searching import stories

    quick = [[(hit.id, hit.score, hit.similar) for hit in search(index, q, page=page,
                                                                  per_page=3).hits]
             for page in (1, 2, 3)]
    original = stories.Stories.listed
    monkeypatch.setattr(stories.Stories, "listed",
                        lambda self, order, ties, wanted, among=None:
                        original(self, order, ties, wanted))
    monkeypatch.setattr(index.cache, "entries", 0)
    slow = [[(hit.id, hit.score, hit.similar) for hit in search(index, q, page=page,
                                                                 per_page=3).hits]
            for page in (1, 2, 3)]
    assert quick == slow and quick[0]
