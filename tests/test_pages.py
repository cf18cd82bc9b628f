"""The HTML pages over real HTTP: results, article, errors, and escaping of untrusted text."""

import re

SEED_ID = "seeds/000_ab47da293521407e.txt"


def test_home_page_has_a_labelled_search_box(server):
    page = server.get("/").text
    assert '<form class="searchbox" role="search"' in page
    assert '<label for="q"' in page and 'name="q"' in page


def test_results_page_renders_the_hit(server):
    response = server.get("/search", params={"q": "Gaganyaan"})
    assert response.status_code == 200
    page = response.text
    assert re.search(r"1 result\s+in [\d.]+ ms", page)
    assert f'href="/articles/{SEED_ID}?q=Gaganyaan"' in page
    assert "Russia and India are set to expand their cooperation in space exploration" in page
    assert "<mark>Gaganyaan</mark>" in page
    assert '<time datetime="2025-03-01">01 Mar 2025</time>' in page
    assert '<span class="source">TASS</span>' in page
    assert 'value="Gaganyaan"' in page


def test_results_page_paginates(server):
    page = server.get("/search", params={"q": "harbour OR space", "per_page": 1}).text
    assert 'rel="next" href="/search?q=harbour+OR+space&amp;per_page=1&amp;page=2"' in page
    assert '<span aria-current="page">1</span>' in page


def test_article_page_shows_full_text(server):
    response = server.get(f"/articles/{SEED_ID}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Russia and India are set to expand their cooperation in space exploration</h1>" in page
    assert "Rakesh Sharma became the first Indian in space in 1984" in page
    assert page.count("<p>") >= 8


def test_unknown_article_page_is_404(server):
    response = server.get("/articles/seeds/missing.txt")
    assert response.status_code == 404
    assert "no article with id" in response.text


def test_empty_query_page_is_400_with_friendly_message(server):
    response = server.get("/search", params={"q": "  "})
    assert response.status_code == 400
    assert "the query is empty: type one or more words" in response.text
    assert "<code>\"space exploration\"</code>" in response.text


def test_no_results_page_explains_the_syntax(server):
    page = server.get("/search", params={"q": "zanzibarquux"}).text
    assert "No articles match <strong>zanzibarquux</strong>" in page
    assert "the exact phrase" in page


def test_article_markup_is_escaped_in_results(server):
    page = server.get("/search", params={"q": "harbour"}).text
    assert "<script>" not in page and "<img" not in page and "<iframe" not in page
    assert re.search(r"&lt;script&gt;alert\((&#34;|&quot;)title(&#34;|&quot;)\)&lt;/script&gt;", page)
    assert "&lt;img src=x onerror=alert(1)&gt;Wire" in page


def test_article_markup_is_escaped_in_snippets(server):
    page = server.get("/search", params={"q": "shipments"}).text
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert "<mark>shipments</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script" not in snippet


def test_article_markup_is_escaped_on_the_article_page(server):
    page = server.get("/articles/seeds/xss.txt").text
    assert "<script>" not in page and "<iframe" not in page and "<img" not in page
    assert re.search(r"&lt;iframe src=(&#34;|&quot;)https://evil.example(&#34;|&quot;)&gt;"
                     r"&lt;/iframe&gt;", page)
    assert "javascript:" not in page  # a javascript: URL never becomes a link


def test_query_is_escaped_everywhere(server):
    attack = '"><script>alert(1)</script>'
    for path in ("/search", "/api/search"):
        response = server.get(path, params={"q": attack})
        assert "<script>alert(1)</script>" not in response.text
    page = server.get("/search", params={"q": attack}).text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_pages_send_security_headers(server):
    headers = server.get("/search", params={"q": "space"}).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
