"""The site and API a newsroom archivist and a programmer expect, over real HTTP against
`searchsvc serve` on the newsroom articles: facets, filters, sort, the date histogram, "did you
mean", suggestions, related articles, CSV export, CORS, the Atom feed and OpenSearch."""

import codecs
import csv
import io
import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
import requests

from searchsvc.web import create_app, exports, params

STRIKE = "seeds/harbour-strike.txt"
GRAIN = "seeds/grain-exports-rise.txt"
GRAIN_UPDATE = "seeds/grain-exports-rise-update.txt"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def links(page: str, css_class: str) -> dict[str, str]:
    """Link text -> href of the <a class="css_class"> links on a page."""
    found = re.findall(rf'<a class="{css_class}" href="([^"]+)"[^>]*>\s*(.*?)\s*</a>', page, re.S)
    return {" ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()): unescape(href)
            for href, text in found}


def facet_counts(page: str, name: str) -> dict[str, int]:
    section = re.search(rf'<h3 id="facet-{name}">.*?</section>', page, re.S).group(0)
    return {unescape(label): int(count.replace(",", "")) for label, count in re.findall(
        r'class="facet-value"[^>]*>([^<]+)</(?:a|span)>\s*<span class="count">([\d,]+)<', section)}


# The results page

def test_results_page_lists_facets_with_counts(newsroom):
    page = newsroom.get("/search", params={"q": "harbour"}).text
    assert re.search(r"5 results\s+in [\d.]+ ms", page)
    assert facet_counts(page, "source") == {"AP": 2, "Reuters": 1, "BBC": 1, "Local Gazette": 1}
    assert facet_counts(page, "language") == {"English": 5}


def test_near_duplicate_story_is_listed_once_with_its_similar_count(newsroom):
    page = newsroom.get("/search", params={"q": "grain exports"}).text
    assert page.count("rise as harbour reopens after winter storms") == 1
    assert re.search(r'<a class="similar" href="/search\?q=grain\+exports&amp;story=seeds/'
                     r'grain-exports-rise(-update)?\.txt">1 similar</a>', page)


def test_clicking_a_facet_filters_and_its_chip_removes_the_filter(newsroom):
    page = newsroom.get("/search", params={"q": "harbour"}).text
    filtered_url = links(page, "facet-value")["AP"]
    assert parse_qs(urlsplit(filtered_url).query) == {"q": ["harbour"], "source": ["AP"]}
    filtered = newsroom.get(filtered_url).text
    assert re.search(r"2 results\s+in", filtered)
    assert re.findall(r'<span class="source">([^<]+)</span>', filtered) == ["AP", "AP"]
    chips = links(filtered, "chip")
    assert list(chips) == ["Source: AP ×"]
    assert newsroom.get(chips["Source: AP ×"]).url == newsroom.url + "/search?q=harbour"


def test_date_histogram_is_inline_svg_whose_bars_filter_by_month(newsroom):
    page = newsroom.get("/search", params={"q": "harbour"}).text
    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    assert "style=" not in svg and "<script" not in svg
    bars = dict(re.findall(r'<a href="([^"]+)"\s+aria-label="([^"]+)"', svg))
    by_label = {label: unescape(href) for href, label in bars.items()}
    assert by_label == {
        "Jan 2024: 1 article": "/search?q=harbour&from=2024-01-01&to=2024-01-31",
        "Mar 2024: 1 article": "/search?q=harbour&from=2024-03-01&to=2024-03-31",
        "Apr 2024: 1 article": "/search?q=harbour&from=2024-04-01&to=2024-04-30",
        "Jun 2024: 1 article": "/search?q=harbour&from=2024-06-01&to=2024-06-30",
        "Jul 2024: 1 article": "/search?q=harbour&from=2024-07-01&to=2024-07-31",
    }
    # Jan to Jul is 7 months: empty months keep their place on the axis.
    heights = re.findall(r'<rect class="bar" x="([\d.]+)"', svg)
    assert [float(x) for x in heights] == pytest.approx(
        [600 / 7 * slot for slot in (0, 2, 3, 5, 6)], abs=0.01)
    april = newsroom.get(by_label["Apr 2024: 1 article"]).text
    assert re.findall(r"<time datetime=\"([\d-]+)\"", april) == ["2024-04-11"]
    assert "From: 2024-04-01" in april and "To: 2024-04-30" in april


def test_sort_switch_orders_by_date(newsroom):
    page = newsroom.get("/search", params={"q": "harbour"}).text
    sorts = links(page, "sort-option")
    assert set(sorts) == {"Newest", "Oldest"}
    assert '<span class="sort-option" aria-current="true">Best match</span>' in page
    newest = newsroom.get(sorts["Newest"]).text
    dates = re.findall(r"<time datetime=\"([\d-]+)\"", newest)
    assert dates == sorted(dates, reverse=True) and len(dates) == 5
    oldest = newsroom.get(links(newest, "sort-option")["Oldest"]).text
    assert re.findall(r"<time datetime=\"([\d-]+)\"", oldest) == sorted(dates)


def test_did_you_mean_links_to_the_corrected_query(newsroom):
    page = newsroom.get("/search", params={"q": "harbuor"}).text
    match = re.search(r'Did you mean\s+<a href="([^"]+)">([^<]+)</a>', page)
    assert match.group(2) == "harbour"
    assert re.search(r"5 results\s+in", newsroom.get(unescape(match.group(1))).text)


def test_results_offer_csv_atom_and_json_of_the_same_query(newsroom):
    page = newsroom.get("/search", params={"q": "harbour", "source": "AP"}).text
    assert 'href="/api/search?q=harbour&amp;source=AP&amp;format=csv"' in page
    assert 'href="/search.atom?q=harbour&amp;source=AP"' in page
    assert ('<link rel="alternate" type="application/atom+xml" '
            'title="Newest articles matching harbour"') in page


def test_no_match_with_filters_offers_to_drop_them(newsroom):
    page = newsroom.get("/search", params={"q": "lunar", "source": "BBC"}).text
    assert "No articles match <strong>lunar</strong> with these filters" in page
    assert 'href="/search?q=lunar">Search again without filters</a>' in page
    assert "the exact phrase" in page


def test_every_page_links_the_opensearch_description_and_no_inline_code(newsroom):
    for path in ("/", "/search?q=harbour", f"/articles/{STRIKE}", "/search?q=", "/nowhere"):
        page = newsroom.get(path).text
        assert ('<link rel="search" type="application/opensearchdescription+xml" '
                'title="searchsvc"') in page, path
        assert "style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page), path


# The article page

def test_article_page_marks_the_query_and_lists_related_articles(newsroom):
    page = newsroom.get(f"/articles/{STRIKE}", params={"q": "grain harbour"}).text
    assert ("halting <mark>grain</mark> shipments at the <mark>harbour</mark> "
            "for the second time") in page
    assert '<time datetime="2024-04-11">11 April 2024</time>' in page
    assert 'href="https://wire.example.com/ap/2024/04/11/harbour-strike"' in page
    related = re.search(r'<aside class="related".*?</aside>', page, re.S).group(0)
    related_ids = re.findall(r'href="/articles/([^"]+)"', related)
    assert STRIKE not in related_ids and "seeds/harbour-dredging.txt" in related_ids
    assert 'href="/search?q=grain+harbour">← Back to results' in page


# The JSON API

def test_api_search_applies_filters_and_reports_them(newsroom):
    body = newsroom.get("/api/search", params={"q": "harbour OR port OR hafen", "language": "de",
                                               "from": "2024-01-01", "to": "2024-12-31"}).json()
    assert [hit["id"] for hit in body["hits"]] == ["seeds/hamburg-hafen.txt"]
    assert body["filters"] == {"source": None, "language": "de", "from": "2024-01-01",
                               "to": "2024-12-31", "story": None}
    assert body["facets"]["language"] == [{"value": "de", "count": 1}]


def test_api_hits_carry_the_similar_count(newsroom):
    body = newsroom.get("/api/search", params={"q": "grain exports"}).json()
    grain = [hit for hit in body["hits"] if hit["id"] in (GRAIN, GRAIN_UPDATE)]
    assert len(grain) == 1 and grain[0]["similar"] == 1


def test_api_facets_match_the_page(newsroom):
    body = newsroom.get("/api/search", params={"q": "harbour"}).json()
    page = newsroom.get("/search", params={"q": "harbour"}).text
    assert {f["value"]: f["count"] for f in body["facets"]["source"]} == \
        facet_counts(page, "source")
    assert {"value": "2024-01", "count": 1} in body["facets"]["month"]


def test_api_suggest_completes_the_last_word(newsroom):
    body = newsroom.get("/api/suggest", params={"q": "dockworkers har"}).json()
    assert body["query"] == "dockworkers har"
    assert body["suggestions"][0] == "dockworkers harbour"
    assert newsroom.get("/api/suggest", params={"q": ""}).json() == {"query": "",
                                                                    "suggestions": []}


def test_api_suggest_speaks_opensearch_to_browsers(newsroom):
    response = newsroom.get("/api/suggest", params={"q": "harb", "format": "opensearch",
                                                    "limit": 2})
    assert response.headers["Content-Type"].startswith("application/x-suggestions+json")
    query, suggestions = response.json()
    assert query == "harb" and len(suggestions) == 2 and suggestions[0] == "harbour"


def test_api_related_leaves_out_the_article_and_its_versions(newsroom):
    body = newsroom.get(f"/api/articles/{GRAIN}/related", params={"limit": 3}).json()
    assert body["id"] == GRAIN
    ids = [hit["id"] for hit in body["hits"]]
    assert len(ids) == 3 and GRAIN not in ids and GRAIN_UPDATE not in ids
    assert "seeds/harbour-strike.txt" in ids or "seeds/harbour-dredging.txt" in ids


def test_api_related_of_an_unknown_article_is_404(newsroom):
    response = newsroom.get("/api/articles/seeds/nope.txt/related")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_article_marks_the_query_in_body_html(newsroom):
    body = newsroom.get(f"/api/articles/{STRIKE}", params={"q": "wheat"}).json()
    assert body["body_html"][2] == ("Shipping agents warned that <mark>wheat</mark> cargoes "
                                    "could be diverted to other ports.")
    assert body["body"].split("\n\n")[2].startswith("Shipping agents warned")


@pytest.mark.parametrize("path, params, message", [
    ("/api/suggest", {"q": "harb", "limit": "0"}, "limit must be between 1 and 20"),
    ("/api/suggest", {"q": "harb", "format": "xml"}, "format must be one of: json, opensearch"),
    (f"/api/articles/{STRIKE}/related", {"limit": "many"}, "limit must be a whole number"),
    ("/api/search", {"q": "harbour", "format": "xlsx"}, "format must be one of: json, csv"),
    ("/api/search", {"q": "a*", "format": "csv"}, "wildcards need at least 2 letters"),
])
def test_bad_api_parameters_are_400_with_a_message(newsroom, path, params, message):
    response = newsroom.get(path, params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_api_allows_any_origin_and_answers_preflight(newsroom):
    origin = {"Origin": "https://newsroom.example"}
    response = newsroom.get("/api/search", params={"q": "harbour"}, headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert newsroom.get("/api/nothing", headers=origin).headers[
        "Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(newsroom.url + "/api/search?q=harbour", timeout=30, headers={
        **origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "accept" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in newsroom.get("/search?q=harbour").headers


def test_api_refuses_writes_with_405_and_allow(newsroom):
    response = requests.post(newsroom.url + "/api/search?q=harbour", timeout=30)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


# CSV export

def read_csv(body: bytes) -> list[dict]:
    """The rows, as a spreadsheet reads them (a byte order mark says UTF-8, then is dropped)."""
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_every_matching_row(newsroom):
    response = newsroom.get("/api/search", params={"q": "harbour", "per_page": 1, "page": 3,
                                                   "format": "csv", "sort": "oldest"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Total-Count"] == "5"
    assert response.headers["X-Truncated"] == "false"
    rows = read_csv(response.content)
    assert [row["date"] for row in rows] == ["2024-01-17", "2024-03-04", "2024-04-11",
                                            "2024-06-20", "2024-07-08"]
    assert rows[1]["id"] in (GRAIN, GRAIN_UPDATE) and rows[1]["similar"] == "1"
    assert rows[1]["url"].startswith("https://news.example.org/2024/03/04/grain-exports-harbour")
    assert list(rows[0]) == ["id", "title", "date", "source", "language", "url", "score",
                             "similar", "article_page", "snippet"]
    strike = next(row for row in rows if row["id"] == STRIKE)
    assert strike["article_page"] == f"{newsroom.url}/articles/{STRIKE}"
    assert newsroom.get(strike["article_page"][len(newsroom.url):]).status_code == 200
    assert "halting grain shipments at the harbour" in strike["snippet"]
    assert "<" not in "".join(row["snippet"] for row in rows)


def test_csv_export_opens_in_a_spreadsheet_with_every_script_intact(newsroom):
    """Excel reads a CSV without a byte order mark as Windows-1252: £ and Cyrillic garbled."""
    response = newsroom.get("/api/search", params={"q": "экспорт", "format": "csv"})
    assert response.content.startswith(codecs.BOM_UTF8)
    [row] = read_csv(response.content)
    assert row["title"] == "Экспорт зерна через порт вырос в марте"
    assert "зерна" in row["snippet"]


def test_csv_export_keeps_spreadsheets_from_running_headlines_as_formulas(newsroom):
    rows = read_csv(newsroom.get("/api/search", params={"q": "cold snap",
                                                        "format": "csv"}).content)
    assert rows[0]["title"] == "'-40 degrees: cold snap grounds flights across the north"


def test_csv_export_pages_through_results_up_to_the_limit_and_says_it_is_cut(
        newsroom_index, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_PAGE_SIZE", 2)
    monkeypatch.setattr(params, "EXPORT_ROWS", 4)
    client = create_app({"INDEX_DIR": str(newsroom_index), "TESTING": True}).test_client()
    everything = client.get("/api/search?q=harbour+OR+space+OR+election&format=csv&sort=newest")
    *rows, note = read_csv(everything.data)
    assert everything.headers["X-Total-Count"] == "9"
    assert everything.headers["X-Truncated"] == "true"
    assert len(rows) == 4
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates, reverse=True) and len(set(row["id"] for row in rows)) == 4
    assert note["id"].startswith("# Cut at 4 of 9 results") and "searchsvc export" in note["id"]
    few = client.get("/api/search?q=lunar+OR+shield+OR+satellite&format=csv")
    assert len(read_csv(few.data)) == 3 and few.headers["X-Truncated"] == "false"


# Atom feed

def test_atom_feed_lists_the_newest_matches_for_feed_readers(newsroom):
    response = newsroom.get("/search.atom", params={"q": "harbour"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "searchsvc: harbour"
    assert [entry.updated[:10] for entry in feed.entries] == [
        "2024-07-08", "2024-06-20", "2024-04-11", "2024-03-04", "2024-01-17"]
    strike = feed.entries[2]
    assert strike.title == "Dockworkers' strike halts grain shipments at the harbour"
    assert strike.link == f"{newsroom.url}/articles/{STRIKE}?q=harbour"
    assert strike.id == f"tag:searchsvc,2026:articles/{STRIKE}"
    assert strike.author == "AP"
    assert "halting grain shipments at the harbour" in strike.summary
    assert b"at the &lt;mark&gt;harbour&lt;/mark&gt; for" in response.content
    related = [link.href for link in strike.links if link.rel == "related"]
    assert related == ["https://wire.example.com/ap/2024/04/11/harbour-strike"]


def test_atom_feed_has_the_elements_atom_requires(newsroom):
    root = ET.fromstring(newsroom.get("/search.atom", params={"q": "harbour",
                                                              "source": "AP"}).content)
    assert root.tag == f"{ATOM}feed"
    for element in (root, *root.findall(f"{ATOM}entry")):
        assert element.findtext(f"{ATOM}id")
        assert element.findtext(f"{ATOM}title")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", element.findtext(f"{ATOM}updated"))
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "searchsvc"
    self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == f"{newsroom.url}/search.atom?q=harbour&source=AP"
    assert len(root.findall(f"{ATOM}entry")) == 2


def test_atom_feed_of_untrusted_text_stays_well_formed(server):
    feed = feedparser.parse(server.get("/search.atom", params={"q": "harbour"}).content)
    assert not feed.bozo
    titles = [entry.title for entry in feed.entries]
    assert '<script>alert("title")</script> Harbour "quoted" & <b>bold</b>' in titles


def test_atom_feed_of_a_bad_query_is_400(newsroom):
    response = newsroom.get("/search.atom", params={"q": ""})
    assert response.status_code == 400
    assert "the query is empty" in response.text


# OpenSearch

def test_opensearch_description_is_valid_and_its_templates_work(newsroom):
    response = newsroom.get("/opensearch.xml")
    assert response.headers["Content-Type"].startswith("application/opensearchdescription+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    short_name = root.findtext(f"{OPENSEARCH}ShortName")
    assert short_name == "searchsvc" and len(short_name) <= 16
    assert 0 < len(root.findtext(f"{OPENSEARCH}Description")) <= 1024
    assert root.findtext(f"{OPENSEARCH}InputEncoding") == "UTF-8"
    urls = {url.get("type"): url.get("template") for url in root.findall(f"{OPENSEARCH}Url")}
    assert set(urls) == {"text/html", "application/x-suggestions+json", "application/atom+xml",
                         "application/opensearchdescription+xml"}
    assert urls["application/opensearchdescription+xml"] == f"{newsroom.url}/opensearch.xml"
    for mimetype in ("text/html", "application/x-suggestions+json", "application/atom+xml"):
        template = urls[mimetype]
        assert template.startswith(newsroom.url + "/") and "{searchTerms}" in template
        # browsers fill the optional {startPage?} with nothing; a client may give a page
        for start_page in ("", "1"):
            filled = template.replace("{searchTerms}", "harbour").replace("{startPage?}",
                                                                          start_page)
            answer = newsroom.get(filled[len(newsroom.url):])
            assert answer.status_code == 200, filled
            assert answer.headers["Content-Type"].startswith(mimetype)
            assert "harbour" in answer.text
