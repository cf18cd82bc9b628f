"""The JSON API over real HTTP, against `searchsvc serve` on the seeds."""

import pytest


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def test_gaganyaan_finds_the_tass_article_with_the_term_marked(server):
    body = server.get("/api/search", params={"q": "Gaganyaan"}).json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["id"] == "seeds/000_ab47da293521407e.txt"
    assert hit["source"] == "TASS"
    assert hit["date"] == "2025-03-01"
    assert hit["title"].startswith("Russia and India are set to expand their cooperation")
    assert "<mark>Gaganyaan</mark>" in hit["snippet"]
    assert set(body) >= {"query", "total", "page", "per_page", "took_ms", "hits"}
    assert set(hit) >= {"id", "title", "date", "source", "url", "score", "snippet"}


def test_phrase_query_finds_the_article(server):
    body = server.get("/api/search", params={"q": '"space exploration"'}).json()
    assert [hit["source"] for hit in body["hits"]] == ["TASS"]
    assert "<mark>space</mark> <mark>exploration</mark>" in body["hits"][0]["snippet"]


def test_phrase_query_needs_the_words_together(server):
    body = server.get("/api/search", params={"q": '"exploration space"'}).json()
    assert body["total"] == 0


def test_source_field_query(server):
    body = server.get("/api/search", params={"q": "source:TASS"}).json()
    assert [hit["id"] for hit in body["hits"]] == ["seeds/000_ab47da293521407e.txt"]


def test_query_without_match_returns_zero_and_empty_list(server):
    body = server.get("/api/search", params={"q": "zanzibarquux"}).json()
    assert body["total"] == 0
    assert body["hits"] == []


def test_title_matches_rank_above_body_matches(server):
    body = server.get("/api/search", params={"q": "grain harbour"}).json()
    titles = [hit["title"] for hit in body["hits"]]
    assert titles[0] == "Grain exports rise as harbour reopens"


def test_pagination_fields(server):
    body = server.get("/api/search", params={"q": "harbour OR space", "per_page": 1,
                                             "page": 2}).json()
    assert body["page"] == 2 and body["per_page"] == 1
    assert body["total"] == 3 and len(body["hits"]) == 1


@pytest.mark.parametrize("params, message", [
    ({"q": ""}, "empty"),
    ({}, "empty"),
    ({"q": "a*"}, "wildcards need at least 2 letters"),
    ({"q": "x" * 1001}, "limit is 1000"),
    ({"q": "space", "page": "0"}, "page must be 1 or more"),
    ({"q": "space", "page": "two"}, "page must be a whole number"),
    ({"q": "space", "per_page": "1000"}, "per_page must be between 1 and 100"),
    ({"q": "space", "page": "999", "per_page": "100"}, "beyond the first 10000"),
    ({"q": "space", "sort": "random"}, "sort must be one of"),
    ({"q": "space", "from": "yesterday"}, "from must be a date"),
])
def test_malformed_requests_are_400_with_a_message(server, params, message):
    error = assert_error(server.get("/api/search", params=params), 400, "bad_query")
    assert message in error["message"]


EMPTY_ALLOWED = {
    "/api/search": ("page", "per_page", "sort", "source", "language", "from", "to", "format"),
    "/search": ("page", "per_page", "sort", "source", "language", "from", "to"),
    "/search.atom": ("source", "language", "from", "to"),
    "/api/suggest": ("limit", "format"),
    "/api/articles/seeds/000_ab47da293521407e.txt/related": ("limit",),
    "/api/articles/seeds/000_ab47da293521407e.txt": ("q",),
    "/articles/seeds/000_ab47da293521407e.txt": ("q",),
}


@pytest.mark.parametrize("path, name", [(path, name) for path, names in EMPTY_ALLOWED.items()
                                        for name in names])
def test_an_empty_optional_parameter_means_its_default(server, path, name):
    """A browser fills OpenSearch's optional `{startPage?}` with nothing, and an HTML form
    sends its empty fields: each is answered as if the parameter were absent."""
    query = {"q": "space"} if name != "q" else {}
    absent = server.get(path, params=query)
    empty = server.get(path, params={**query, name: ""})
    assert absent.status_code == 200, absent.text[:300]
    assert empty.status_code == 200, empty.text[:300]
    assert empty.headers["Content-Type"] == absent.headers["Content-Type"]
    if absent.headers["Content-Type"].startswith("application/json"):
        answer, asked = empty.json(), absent.json()
        answer.pop("took_ms", None)
        asked.pop("took_ms", None)
        assert answer == asked


TASS_ARTICLE = "seeds/000_ab47da293521407e.txt"
QUERY_ROUTES = ["/api/search", "/api/search?format=csv", "/search", "/search.atom",
                "/api/suggest", f"/api/articles/{TASS_ARTICLE}", f"/articles/{TASS_ARTICLE}"]
DATE_ROUTES = ["/api/search", "/api/search?format=csv", "/search", "/search.atom"]


@pytest.mark.parametrize("route", QUERY_ROUTES)
def test_a_nul_in_the_query_is_refused_alike_on_every_route(server, route):
    response = server.get(route, params={"q": "spa\x00ce"})
    assert response.status_code == 400
    assert "contains a NUL character" in response.text


@pytest.mark.parametrize("route", DATE_ROUTES)
def test_from_after_to_is_refused_alike_on_every_route(server, route):
    response = server.get(route, params={"q": "space", "from": "2025-03-02",
                                         "to": "2025-03-01"})
    assert response.status_code == 400
    assert "the 'from' date is after the 'to' date" in response.text.replace("&#39;", "'")


def test_article_by_id(server):
    body = server.get("/api/articles/seeds/000_ab47da293521407e.txt").json()
    assert body["source"] == "TASS"
    assert "Gaganyaan mission" in body["body"]
    assert not body["body"].rstrip().endswith("TASS")


def test_unknown_article_is_404(server):
    assert_error(server.get("/api/articles/seeds/nope.txt"), 404, "not_found")


def test_unknown_route_is_404_json_under_api(server):
    assert_error(server.get("/api/nothing"), 404, "not_found")


def test_healthz_counts_articles_and_names_the_generation(server, index_dir):
    response = server.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "articles": 3,
                               "generation": (index_dir / "CURRENT").read_text().strip()}


def test_served_by_a_production_server(server):
    assert server.get("/healthz").headers["Server"] == "gunicorn"
