"""Tests for searchsvc.articles.html: article text, metadata and decoding of HTML pages."""

import datetime
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from conftest import corpus, run_cli

from searchsvc.articles.html import HtmlArticle, extract_html

DATA = Path(__file__).parent / "data" / "html"
REPO_ROOT = Path(__file__).resolve().parent.parent


def extract_fixture(name: str) -> HtmlArticle:
    return extract_html((DATA / name).read_bytes())


@pytest.fixture(scope="module")
def news_article() -> HtmlArticle:
    return extract_fixture("news_article.html")


def test_article_paragraphs_headings_and_list_items_are_kept(news_article):
    body = news_article.body
    assert body.startswith("The string of lanterns that once lined the old port")
    assert "Volunteers have spent the winter restoring forty cast-iron posts" in body
    assert "A tradition rekindled" in body
    assert "painting the restored posts in their original green" in body
    assert body.endswith("leave the outer harbour at nine o'clock.")


def test_paragraphs_are_separated_by_blank_lines(news_article):
    paragraphs = news_article.body.split("\n\n")
    assert "A tradition rekindled" in paragraphs
    assert all(p == p.strip() and "  " not in p for p in paragraphs)


@pytest.mark.parametrize("boilerplate", [
    "TRACKING-SCRIPT-TEXT",          # <script> in the head
    "INLINE-SCRIPT-TEXT",            # <script> inside the article
    "font-family",                   # <style>
    "We use cookies",                # cookie banner
    "Accept all cookies",
    "Sport",                         # navigation menu
    "Share on Facebook",             # share buttons
    "By Morgan Fisher",              # byline
    "Buy cheap ferry tickets",       # advert inside the article
    "Advertisement",
    "Related stories",               # related links
    "Lifeboat crew celebrates",
    "12 comments",                   # comments
    "I remember walking there",
    "Storm warning issued",          # sidebar
    "Sign up to our daily newsletter",
    "All rights reserved",           # footer
])
def test_boilerplate_is_removed(news_article, boilerplate):
    assert boilerplate not in news_article.body


def test_headline_is_not_repeated_in_body(news_article):
    assert "Harbour lights return" not in news_article.body


def test_open_graph_and_article_metadata(news_article):
    assert news_article.title == "Harbour lights return to the old port after ten years"
    assert news_article.source == "Coastal Gazette"
    assert news_article.date == datetime.date(2023, 5, 14)
    assert news_article.language == "en"
    assert news_article.url == "https://gazette.example/harbour-lights"


def test_json_ld_headline_date_publisher_and_og_locale():
    article = extract_fixture("json_ld.html")
    assert article.title == "В городском парке открылась новая библиотека"
    assert article.date == datetime.date(2021, 11, 1)
    assert article.source == "Вечерний город"
    assert article.language == "ru"
    # &nbsp; entities come out as plain spaces.
    assert article.body.startswith("В воскресенье в городском парке")
    assert len(article.body.split("\n\n")) == 3


def test_time_element_date_title_suffix_and_br_paragraphs():
    article = extract_fixture("time_element.html")
    assert article.date == datetime.date(2019, 4, 28)
    assert article.title == "Council approves budget for new cycle lanes"
    assert article.body.split("\n\n")[1].startswith("The plan, which had been debated")
    assert "Published" not in article.body
    assert article.language is None and article.source is None and article.url is None


@pytest.mark.parametrize("page, expected", [
    ('<meta name="pubdate" content="20200302"><p>Text.</p>', datetime.date(2020, 3, 2)),
    ('<meta name="dc.date" content="Tue, 03 Mar 2020 10:00:00 GMT"><p>Text.</p>',
     datetime.date(2020, 3, 3)),
    ('<div class="publish-date">Published 7:07 PM EST Nov 19, 2019</div><p>Text.</p>',
     datetime.date(2019, 11, 19)),
    ('<span class="post-date">4th July 2018</span><p>Text.</p>', datetime.date(2018, 7, 4)),
    ('<meta property="article:published_time" content="0001-01-01T00:00:00Z"><p>Text.</p>', None),
    ('<script type="application/ld+json"><![CDATA[ {"@type": "NewsArticle",'
     ' "datePublished": "2024-12-06T22:00:40.000Z"} ]]></script><p>Text.</p>',
     datetime.date(2024, 12, 6)),
])
def test_other_date_sources(page, expected):
    assert extract_html(page).date == expected


@pytest.mark.parametrize("title, expected", [
    ("Storm hits the coast | Coastal Gazette", "Storm hits the coast"),
    ("Storm hits the coast | Weather | Coastal Gazette", "Storm hits the coast"),
    ("Storm hits the coast - Daily Ledger", "Storm hits the coast"),
    ("Coastal Gazette | Storm hits the coast today", "Storm hits the coast today"),
    ("Spider-Man: a review of the new film", "Spider-Man: a review of the new film"),
    ("Storm hits the coast_English_Coastal Gazette", "Storm hits the coast"),
    ("海边灯塔重新点亮 _社会频道 _海岸日报", "海边灯塔重新点亮"),
])
def test_site_name_is_stripped_from_titles(title, expected):
    page = (f"<html><head><title>{title}</title>"
            '<meta property="og:site_name" content="Coastal Gazette"></head>'
            "<body><p>Some article text.</p></body></html>")
    assert extract_html(page).title == expected


def test_windows_1252_bytes_with_meta_charset():
    article = extract_fixture("windows_1252.html")
    assert article.title == "Café owners welcome the summer season"
    assert "“as fair as ever”" in article.body
    assert "€2, the same as last year – a promise" in article.body


def test_undeclared_non_utf8_bytes_fall_back_to_windows_1252():
    article = extract_html("<p>Crème brûlée for €5</p>".encode("cp1252"))
    assert article.body == "Crème brûlée for €5"


def test_utf8_bom_is_detected_and_dropped():
    data = (DATA / "utf8_bom.html").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    article = extract_html(data)
    assert article.title == "Naïve art exhibition opens downtown"
    assert article.body.startswith("The naïve art exhibition opened on Thursday")


def test_str_input_is_used_as_is():
    article = extract_html("<html lang='pt-BR'><p>Olá, mundo — texto em português.</p></html>")
    assert article.body == "Olá, mundo — texto em português."
    assert article.language == "pt"


def test_json_ld_article_body_is_used_when_page_has_no_text():
    page = ("<html><head><script type='application/ld+json'>"
            '{"@type": "Article", "headline": "Rendered by script",'
            ' "articleBody": "First paragraph of the story.\\nSecond paragraph of the story."}'
            "</script></head><body><div id='app'></div></body></html>")
    article = extract_html(page)
    assert article.title == "Rendered by script"
    assert article.body == "First paragraph of the story.\n\nSecond paragraph of the story."


@pytest.mark.parametrize("post_class", [
    "post-118 post type-post status-publish hentry category-history author-rich-jones",
    "entry entry-author-rich-jones",
    "blog-item authored-by-rich-jones",
])
def test_post_whose_class_names_its_author_keeps_its_text(post_class):
    page = (DATA / "blog_post_author_class.html").read_text(encoding="utf-8").replace(
        "post-118 post type-post status-publish hentry category-history author-rich-jones",
        post_class)
    article = extract_html(page)
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0].startswith("The lighthouse on the north spit was switched off")
    assert paragraphs[-1].endswith("lit once a year on the night of the great storm.")
    assert len(paragraphs) == 3  # no byline, tags or readers' comments
    assert article.title == "Why the old lighthouse keeps its lamp"


def test_page_without_body_tag_keeps_the_text_the_parser_put_in_head():
    article = extract_fixture("no_body_tag.html")
    assert article.title == "Ferry service to stay, council decides"
    assert article.date == datetime.date(2008, 3, 14)
    assert article.body.startswith("The town council voted on Thursday evening")
    assert article.body.endswith("until the new ticket prices are agreed in the spring.")


def test_printable_copy_of_an_article_is_its_text():
    article = extract_fixture("printable_article.html")
    assert article.body.startswith("More than six hundred volunteers turned out on Saturday")
    assert article.body.endswith("will mean a lighter load next year.")
    assert "Printed from" not in article.body and "bathtub has been there" not in article.body


def test_anchor_left_open_around_the_page_is_not_a_link():
    article = extract_fixture("open_anchor.html")
    assert article.body.startswith("Spring show moves to the church hall\n\nThis year's spring")
    assert article.body.endswith("going towards a new water tank for the lower plots.")
    assert "Back to the top" not in article.body and "Contact" not in article.body


def test_blog_page_keeps_every_post():
    body = extract_fixture("blog_front_page.html").body
    for post in ("The first skeins of pink-footed geese", "The spring tide on Sunday came right up",
                 "The last of the samphire has gone woody"):
        assert post in body
    assert "Archives" not in body and "Comments (5)" not in body


def test_headline_is_the_heading_over_the_article_not_the_section_name():
    article = extract_fixture("section_heading.html")
    assert article.title == "Why the harbour needs a new sea wall"
    assert article.date == datetime.date(2008, 11, 4)
    assert article.body.startswith("Every winter the old sea wall loses a few more stones")


def test_headline_is_the_h1_nearest_the_article_agreeing_with_og_title():
    page = """<html><head><meta property="og:title" content="Harbour lights return | Gazette">
        <meta property="og:site_name" content="Gazette"></head><body>
        <header><h1>Gazette</h1></header>
        <aside><h1>Harbour lights: your photos</h1></aside>
        <article><h1>Harbour lights return after ten years</h1>
        <p>The lanterns along the old port were lit again on Saturday evening.</p></article>
        </body></html>"""
    assert extract_html(page).title == "Harbour lights return after ten years"


def test_date_shown_in_the_page_time_zone_beats_a_utc_timestamp():
    assert extract_fixture("utc_timestamp.html").date == datetime.date(2020, 3, 12)
    # Without a shown date, a timestamp written in local time tells the day as well.
    page = ('<meta property="article:published_time" content="2020-03-13T03:30:00Z">'
            '<meta name="sailthru.date" content="2020-03-12 22:30:00"><p>Text.</p>')
    assert extract_html(page).date == datetime.date(2020, 3, 12)
    # No zone puts a timestamp late in the UTC day on the day before: the UTC date stays.
    page = page.replace("03:30:00Z", "18:30:00Z").replace("2020-03-12 22:30", "2020-03-12 13:30")
    assert extract_html(page).date == datetime.date(2020, 3, 13)


@pytest.mark.parametrize("page", [
    (DATA / "date_in_text.html").read_bytes(),
    '<link rel="canonical" href="https://courier.example/2020/03/12/harbour-dredging-starts">'
    "<h1>Harbour dredging starts</h1><p>Dredging of the outer harbour began on Thursday.</p>",
])
def test_date_without_metadata_is_read_from_the_text_or_the_address(page):
    assert extract_html(page).date == datetime.date(2020, 3, 12)


def test_page_with_headline_and_date_but_no_text_is_indexed_found_and_flagged(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("headline_only.html", "news_article.html"):
        shutil.copy(DATA / name, folder / name)
    indexed = run_cli("index", folder, "--index", tmp_path / "index")
    assert indexed.returncode == 0, indexed.stderr
    assert "2 articles in the index" in indexed.stdout
    assert ("flagged " + str(folder / "headline_only.html") +
            ": no article text found; indexed by its headline and date") in indexed.stdout
    found = run_cli("search", "otters", "--index", tmp_path / "index")
    assert found.returncode == 0, found.stderr
    assert "Video: otters return to the river Wey" in found.stdout
    assert "2021-06-02" in found.stdout


@pytest.mark.parametrize("page", [
    b"",
    "   \n",
    "<html><head><title>Only a title</title></head><body></body></html>",
    "<script>var x = '<p>not text</p>';</script>",
    (DATA / "no_article.html").read_bytes(),
])
def test_page_without_text_raises_value_error(page):
    with pytest.raises(ValueError, match="no article text found"):
        extract_html(page)


@pytest.mark.parametrize("page", [
    bytes(range(256)) * 4,
    "<div>" * 5000 + "deeply nested text" + "</div>" * 10,
    "<p>unclosed <b>tags <i>everywhere",
    "<p>lone \ud800 surrogate and \x00 NUL</p>",
    '<script type="application/ld+json">{not json</script><p>Text.</p>',
    '<html lang="??"><meta charset="no-such-charset"><p>Text.</p></html>',
])
def test_odd_html_does_not_crash(page):
    try:
        article = extract_html(page)
    except ValueError:
        return
    assert isinstance(article.body, str) and article.body


@pytest.fixture(scope="module")
def bench():
    """bench/extraction.py, which reads and scores the page sets."""
    spec = importlib.util.spec_from_file_location("bench_extraction",
                                                  REPO_ROOT / "bench" / "extraction.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# Floors a little under the figures in README.md, per page set: body F1, headline and date
# accuracy (None where the set has no truth for it).
@pytest.mark.corpus
@pytest.mark.parametrize("name, f1, headline, date", [
    ("article-extraction", 0.96, None, 0.88),
    ("readability-news", 0.93, 0.85, 0.9),
    ("cleaneval", 0.88, None, None),
])
def test_page_sets_keep_their_scores(bench, name, f1, headline, date):
    _, load = bench.SETS[name]
    scores = bench.evaluate(load(corpus(name)), "searchsvc")
    assert scores.f1 >= f1, f"body F1 {scores.f1:.3f}"
    assert headline is None or scores.headline >= headline, scores.misses["headline"]
    assert date is None or scores.date >= date, scores.misses["date"]
