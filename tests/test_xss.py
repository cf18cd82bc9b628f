"""Known XSS vectors in article titles, bodies, sources and URLs (text, JSON and HTML files) and
in queries: nothing reaches a page, snippet, feed or API response unescaped, `javascript:` URLs
never become links, and pages carry the security headers that would stop what slipped through.

Every route of the app is visited (read from its url_map), so pages added later are checked."""

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from robustness import ROBUSTNESS_DATA, app_routes, report_figure, seed_text
from searchsvc.indexing import update_index
from searchsvc.web import create_app

VECTORS = [line for line in (ROBUSTNESS_DATA / "xss-vectors.txt").read_text().split("\n") if line]
BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
            "java\tscript:alert(1)", "\x01javascript:alert(1)", "javascript&colon;alert(1)",
            "jav&#x09;ascript:alert(1)", "&#106;avascript:alert(1)", "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>", "javascript://%0aalert(1)",
            "//evil.example/x", "https://ok.example/\"><script>alert(1)</script>"]
FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)",
            "-2+3+cmd|' /C calc'!A0"]
PROBES = ("textprobe", "jsonprobe", "htmlprobe")
# Article ids are file names (and JSON ids): these become ids that pages put in links.
HOSTILE_NAMES = ['"><img src=x onerror=alert(1)>.txt', "javascript:alert(1).txt",
                 "' onmouseover='alert(1).txt", "<script>alert(1)<\\script>.txt"]
FILLER = ("The harbour authority said shipments of grain resumed after the storm, and officials "
          "expect the port to return to its usual traffic within a week. Dockworkers welcomed "
          "the decision, which followed three days of talks with the shipping companies.")
SCRIPT_ATTRS = ("href", "src", "action", "formaction", "background", "dynsrc", "lowsrc", "data",
                "xlink:href", "poster", "codebase", "cite", "longdesc", "srcset")
# Elements no page of ours has and no article text may become (scripts and images are
# allowed from /static/ only; event handlers and script URLs are refused on any element).
NEVER_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
              "isindex", "bgsound", "keygen", "xmp", "template", "noscript", "textarea"}


def url_for_vector(number: int, vector: str) -> str:
    return BAD_URLS[number % len(BAD_URLS)] if number % 2 else vector


def write_text_seed(folder, number, vector):
    (folder / f"vector-{number:03d}.txt").write_text(seed_text(
        f"Vector {number} {vector}",
        f"textprobe xssv{number} {vector}\n\n{FILLER}\n\n{vector} closes the story.",
        source=vector, url=url_for_vector(number, vector)))


def json_record(number, vector) -> dict:
    return {"id": f"v{number}", "title": f"Vector {number} {vector}",
            "body": f"jsonprobe xssv{number} {vector} {FILLER}", "source": vector,
            "url": url_for_vector(number, vector), "language": "en", "date": "2024-05-06"}


def html_page(number, vector) -> str:
    escaped = html.escape(vector)
    linked_data = json.dumps({"@type": "NewsArticle", "headline": f"Vector {number} {vector}",
                              "datePublished": "2024-05-06"}).replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Vector {number} {escaped}</title>
<meta property="og:title" content="Vector {number} {escaped}">
<meta property="og:site_name" content="{escaped}">
<link rel="canonical" href="{html.escape(url_for_vector(number, vector))}">
<script type="application/ld+json">{linked_data}</script>
</head><body><article><h1>Vector {number} {escaped}</h1>
<p>htmlprobe xssv{number} {escaped} and the rest of the story follows in this paragraph.</p>
<p>{FILLER}</p><p>{FILLER}</p>
<p>{vector}</p>
</article></body></html>
"""


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    """Every vector as a text seed, a JSON Lines record and an HTML page, indexed."""
    site = tmp_path_factory.mktemp("xss")
    seeds = site / "seeds"
    seeds.mkdir()
    for number, vector in enumerate(VECTORS):
        write_text_seed(seeds, number, vector)
        (seeds / f"page-{number:03d}.html").write_text(html_page(number, vector))
    for number, name in enumerate(HOSTILE_NAMES):
        # each its own text: files with one text are versions of one story, listed once
        (seeds / name).write_text(seed_text(f"Hostile name {number}",
                                            f"textprobe hostile{number} {FILLER}"))
    records = [json_record(n, v) for n, v in enumerate(VECTORS)]
    records += [{"id": vector, "title": f"Hostile id {n}", "body": f"jsonprobe id{n} {FILLER}"}
                for n, vector in enumerate(VECTORS[:5])]
    records += [{"id": f"formula{n}", "title": formula, "body": f"jsonprobe formula {FILLER}",
                 "source": formula, "url": formula, "language": "en"}
                for n, formula in enumerate(FORMULAS)]
    (seeds / "vectors.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    report = update_index(site / "index", [seeds], progress=False)
    return site, report


@pytest.fixture(scope="module")
def xss_client(xss_site):
    site, _ = xss_site
    return create_app({"INDEX_DIR": str(site / "index")}).test_client()


class MarkupScanner(HTMLParser):
    """Collects what in a page could run script: tags that must never come from data,
    event-handler attributes and script URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if not (attributes.get("src") or "").startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {attrs}")
        elif tag == "img":
            if not (attributes.get("src") or "").startswith(("/static/", "data:image/")):
                self.problems.append(f"<img> not from /static/: {attrs}")
        elif tag == "input" and (attributes.get("type") or "text") not in (
                "text", "search", "hidden", "submit", "checkbox", "radio", "date", "number"):
            self.problems.append(f"<input> of type {attributes.get('type')}")
        elif tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"<meta http-equiv>: {attrs}")
        elif tag in NEVER_TAGS:
            self.problems.append(f"<{tag}> in the page: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name == "style" and re.search(r"url\(|expression|javascript", value or "", re.I):
                self.problems.append(f"style with script: {value!r}")
            if name in SCRIPT_ATTRS and value and script_url(value):
                self.problems.append(f"{name}={value!r} on <{tag}> is a script URL")


def script_url(value: str) -> bool:
    """Whether a browser would treat the URL as script or inline content."""
    squashed = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
    return squashed.startswith(("javascript:", "vbscript:", "data:text", "data:application"))


def html_problems(text: str) -> list[str]:
    scanner = MarkupScanner()
    scanner.feed(text)
    scanner.close()
    return scanner.problems


def fragment_problems(fragment: str) -> list[str]:
    """A snippet or title fragment may hold only escaped text and <mark> elements."""
    tags = set(re.findall(r"</?\s*([a-zA-Z][^\s/>]*)", fragment))
    return ([f"markup other than <mark> in a fragment: {sorted(tags - {'mark'})}"]
            if tags - {"mark"} else []) + html_problems(fragment)


def json_problems(body: bytes, data) -> list[str]:
    problems = ["raw < in JSON"] if b"<" in body else []

    def walk(value, key=""):
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and (key in ("snippet", "title_html")
                                         or key.endswith("_html")):
            problems.extend(fragment_problems(value))

    walk(data)
    return problems


def xml_problems(body: bytes) -> list[str]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return [f"the XML does not parse (something broke out of its escaping): {exc}"]
    problems = []
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if element.tag.startswith("{http://www.w3.org/1999/xhtml}") or name == "script":
            problems.append(f"markup element {element.tag} in the XML")
        if element.get("type") == "html" and element.text:
            problems.extend(fragment_problems(element.text))
        for attribute in ("href", "template", "src"):
            if element.get(attribute) and script_url(element.get(attribute)):
                problems.append(f"{name} {attribute}={element.get(attribute)!r}")
    return problems


def csv_problems(text: str) -> list[str]:
    problems = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            number = re.fullmatch(r"-[\d.]+", cell)
            if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not number):
                problems.append(f"CSV cell a spreadsheet would run: {cell!r}")
    return problems


def response_problems(response) -> list[str]:
    body = response.get_data()
    mimetype = response.mimetype
    headers = response.headers
    problems = []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if mimetype == "text/html":
        policy = headers.get("Content-Security-Policy", "")
        script_policy = re.search(r"script-src([^;]*)", policy) or re.search(
            r"default-src([^;]*)", policy)
        if not script_policy or "unsafe-inline" in script_policy.group(1):
            problems.append(f"Content-Security-Policy allows inline script: {policy!r}")
        if not headers.get("Referrer-Policy"):
            problems.append("no Referrer-Policy")
        text = body.decode("utf-8")
        problems += html_problems(text)
        for vector in VECTORS:
            if "<" in vector and vector in text:
                problems.append(f"vector verbatim in the page: {vector!r}")
    elif mimetype.endswith("json"):
        problems += json_problems(body, json.loads(body))
    elif mimetype.endswith("xml"):
        problems += xml_problems(body)
    elif mimetype == "text/csv":
        problems += csv_problems(body.decode("utf-8"))
    elif mimetype not in ("text/css", "text/javascript", "application/javascript",
                          "image/svg+xml", "image/x-icon", "image/png", "text/plain"):
        problems.append(f"unexpected content type {mimetype}")
    return problems


def requests_for(route, ids: list[str]) -> list[tuple[str, dict]]:
    """The requests that show the vectors on this route: every article for routes that take
    an id, searches for the probes and the vectors themselves for the others."""
    if route.rule.startswith("/static/"):
        return []
    if route.arguments:
        # Every article's own page; a third of them with words to mark, and a third of the
        # routes below an article (related articles), which show other articles' hits anyway.
        below = not route.rule.endswith(">")
        return [(route.path({name: article_id for name in route.arguments}),
                 {"q": "xssv1 script alert"} if number % 3 == 0 else {})
                for number, article_id in enumerate(ids) if not below or number % 3 == 0]
    searches = [{"q": probe, "per_page": "100"} for probe in PROBES]
    searches += [{"q": probe, "format": "csv"} for probe in PROBES]
    searches += [{"q": "formula", "format": "csv"}, {"q": "formula", "per_page": "100"},
                 {"q": "vector"}, {"q": "vec"}, {"q": "xssv"}, {"q": "alert scr"}]
    searches += [{"q": f"xssv{n} {vector}"} for n, vector in enumerate(VECTORS)]
    return [(route.rule, params) for params in searches]


def test_every_format_indexed_every_vector(xss_site, xss_client):
    _, report = xss_site
    assert report.skipped == []
    for probe in PROBES:
        found = xss_client.get("/api/search", query_string={"q": probe, "per_page": 100})
        assert found.get_json()["total"] >= len(VECTORS), probe


def test_no_vector_reaches_any_response_unescaped(xss_client, pytestconfig):
    ids = sorted({hit["id"] for probe in PROBES + ("formula",) for hit in xss_client.get(
        "/api/search", query_string={"q": probe, "per_page": 100}).get_json()["hits"]})
    assert len(ids) >= 3 * len(VECTORS) + len(HOSTILE_NAMES) + 5
    assert {f"seeds/{name}" for name in HOSTILE_NAMES} <= set(ids)
    checked = 0
    failures = []
    for route in app_routes():
        for path, params in requests_for(route, ids):
            response = xss_client.get(path, query_string=params)
            assert response.status_code < 500, (path, params)
            checked += 1
            failures += [f"{path} {params}: {problem}" for problem in response_problems(response)]
    assert not failures, "\n".join(failures[:40])
    report_figure(pytestconfig, f"XSS vectors tried: {len(VECTORS)} vectors + {len(BAD_URLS)} "
                                f"script URLs + {len(FORMULAS)} spreadsheet formulas, in titles, "
                                f"bodies, sources, URLs and ids of {len(ids)} text, JSON and "
                                f"HTML articles and in queries; {checked:,} responses checked, "
                                "0 unescaped")


def test_javascript_urls_are_never_links(xss_client):
    """Only http(s) addresses become the "Original article" link; the one http address among
    the bad URLs is a link with its quote escaped, so it cannot end the attribute."""
    linked = []
    for number in range(1, len(BAD_URLS) * 2, 2):
        url = url_for_vector(number, VECTORS[number])
        for article_id in (f"seeds/vector-{number:03d}.txt", f"seeds/page-{number:03d}.html",
                           f"seeds/vectors.jsonl:v{number}"):
            page = xss_client.get(f"/articles/{article_id}")
            assert page.status_code == 200, article_id
            links = re.findall(r'<a class="original" href="([^"]*)"', page.get_data(as_text=True))
            if url.startswith("https://"):
                linked.append(article_id)
                assert [html.unescape(link) for link in links] == [url], (url, links)
            else:
                assert links == [], (url, links)
    assert len(linked) == 3


def test_error_pages_escape_what_they_echo(xss_client):
    for vector in VECTORS:
        quoted = quote(vector, safe="")
        for path in ("/articles/" + quoted, "/api/articles/" + quoted,
                     "/search?q=" + quote(vector) + "&page=" + quote(vector)):
            response = xss_client.get(path)
            assert 400 <= response.status_code < 500
            assert response_problems(response) == [], (path, response_problems(response))


def test_scanner_finds_what_it_looks_for():
    """The checks above would fail on unescaped output (they are not vacuous)."""
    for vector in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                   '<a href=" javascript:alert(1)">x</a>', "<svg/onload=alert(1)>",
                   '<iframe src="https://evil.example"></iframe>'):
        assert html_problems(f"<p>{vector}</p>"), vector
        assert not html_problems(f"<p>{html.escape(vector)}</p>"), vector
    assert fragment_problems("a <b>bold</b> word")
    assert not fragment_problems("a <mark>marked</mark> &lt;b&gt; word")
    assert xml_problems(b"<feed><title>a <b></title></feed>")
    assert csv_problems("id,title\n1,=HYPERLINK(1)\n")
