"""Bad input at every route: generated requests (random Unicode, control characters, huge
strings, odd query syntax, bad numbers, repeated parameters, odd methods) never get a 5xx,
and every refusal is a 4xx that says what is wrong. Then the bounds, one by one, and paths
that try to leave the index or seeds folder.

The routes come from the app's url_map, so endpoints added later are fuzzed too."""

import http.client
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustness import app_routes, report_figure, seed_text
from searchsvc.indexing import update_index
from searchsvc.searching import (MAX_CLAUSES, MAX_CORRECTIONS, MAX_EXPANSIONS, MAX_FUZZY_TERMS,
                                 MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW)
from searchsvc.web import MAX_REQUEST_BYTES, create_app

ROUTES = app_routes()
FUZZ_REQUESTS = 10_000
EXAMPLES = math.ceil(FUZZ_REQUESTS / len(ROUTES))
LIVE_EXAMPLES = 40
KNOWN_IDS = ["seeds/000_ab47da293521407e.txt", "seeds/xss.txt", "seeds/bbc_style.txt"]
BASE_PARAMS = ("q", "page", "per_page", "sort", "source", "language", "from", "to", "limit",
               "format")
WORDS = ["space", "harbour", "Gaganyaan", "TASS", "India", "shipments", "grain", "cosmo*",
         "exploration", "storm"]
SYNTAX = ['"', "(", ")", "[", "]", "{", "}", "*", "?", "~", "^", ":", "\\", "'", "AND", "OR",
          "NOT", "ANDNOT", "ANDMAYBE", "TO", "title:", "source:", "date:", "id:", "body:",
          "date:[garbage to]", "date:[2020 TO 2019]", "date:>2020", "date:yesterday",
          "space~1/999", "space~99", "space^99999999999999999999", "space^-1", '"a b"~5',
          '"space exploration"~99999999', "*?*", "a?", "sp*", "(((", ")))", "[a TO]",
          "source:[a TO]", "{a TO b}", "<", ">", "=", "&", "%", "+", "-", "!", "/", "//",
          "title:(space OR)", "NOT NOT NOT", "OR OR", "\u0000", "\u202e", "\ufeff"]
BAD_NUMBERS = ["-1", "0", "-0", "+5", " 1", "1 ", "1.5", "1e9", "NaN", "inf", "-inf", "0x10",
               "99999999999999999999", "1_000", "١٢", "１２", "²", "", " ", "10001", "101",
               "2147483648", "-2147483649", "9" * 400]
BAD_DATES = ["2024-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "2024-1-1", "20240101",
             "2024-01-01T00:00", "yesterday", "-2024-01-01", "2024-01-01\u0000", "१९९९-०१-०१"]
PATHS = KNOWN_IDS + [
    "../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "..%252f..%252fetc%252fpasswd", "....//....//etc/passwd", "..\\..\\windows\\win.ini",
    "/etc/passwd", "seeds/../../CURRENT", "seeds/%00.txt", "seeds/\u0000", "", "/", ".", "..",
    "%", "%zz", "seeds/xss.txt/related", "a" * 5000]
ODD_QUERY_STRINGS = ["%", "%zz", "%ff%fe", "%00", "&&&", "=", "a=b=c", ";", "q", "q=", "q=%",
                     "q[]=1", "q=1&q=2", "page=1&page=-1", "+", "%u0041", "q=%E2%80"]


def control_text():
    return st.text(st.sampled_from([chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028",
                                                                   "\u2029", "\ufeff", "\u202e",
                                                                   "\ufffe", "\uffff"]),
                   min_size=1, max_size=12)


def huge_text():
    return st.builds(lambda piece, times, tail: piece * times + tail,
                     st.text(min_size=1, max_size=3), st.integers(300, 20_000),
                     st.text(max_size=3))


def query_syntax():
    token = st.sampled_from(SYNTAX) | st.sampled_from(WORDS) | st.text(max_size=6)
    return st.builds(lambda parts, sep: sep.join(parts), st.lists(token, max_size=10),
                     st.sampled_from([" ", "", "  ", "\t", "\n"]))


def values():
    return st.one_of(
        st.text(max_size=40), control_text(), huge_text(), query_syntax(),
        st.sampled_from(BAD_NUMBERS), st.integers(-2**70, 2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str), st.sampled_from(BAD_DATES),
        st.dates().map(lambda d: d.isoformat()), st.sampled_from(WORDS),
        st.sampled_from(["relevance", "newest", "oldest", "json", "csv", "opensearch", "en",
                         "ru", "TASS", "10", "100", "1"]))


def openapi_parameters(client) -> dict[str, set[str]]:
    """Query parameter names per path pattern from the OpenAPI document, when there is one."""
    response = client.get("/api/openapi.json")
    if response.status_code != 200:
        return {}
    names = {}
    for path, operations in response.get_json().get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query":
                    names.setdefault(re.sub(r"\{[^}]*\}", "{}", path), set()).add(parameter["name"])
    return names


@dataclass(frozen=True)
class Shape:
    """One generated request, sent to every route: each route gets its own method and the
    path variables filled with `path_value`."""

    methods: tuple[str, ...]
    path_value: str
    path_safe: str
    query: str
    body: bytes | None
    accept: str

    def for_route(self, number: int, route) -> tuple[str, str]:
        return self.methods[number % len(self.methods)], route.path(
            {name: self.path_value for name in route.arguments}, safe=self.path_safe)


@st.composite
def shapes(draw, param_names):
    methods = tuple(draw(st.lists(st.sampled_from(["GET"] * 12 + ["HEAD", "OPTIONS", "POST",
                                                                   "PUT", "DELETE", "PATCH"]),
                                  min_size=1, max_size=4)))
    name = st.sampled_from(param_names) | st.text(max_size=8)
    pairs = draw(st.lists(st.tuples(name, values()), max_size=6))
    if draw(st.booleans()):
        # Only a query, mostly words and syntax: it reaches the parser, results and snippets.
        pairs = [("q", draw(st.sampled_from(WORDS)) + draw(st.sampled_from([" ", "", " OR "]))
                  + draw(st.text(max_size=12) | query_syntax() | query_syntax()))]
    query = urlencode(pairs, quote_via=quote)
    if draw(st.integers(0, 9)) == 0:
        query = "&".join(filter(None, [query, draw(st.sampled_from(ODD_QUERY_STRINGS))]))
    return Shape(
        methods=methods,
        path_value=draw(st.sampled_from(KNOWN_IDS) | st.sampled_from(PATHS) | st.text(max_size=30)
                        | huge_text()),
        path_safe=draw(st.sampled_from(["/", "", "/%"])),
        query=query,
        body=draw(st.binary(max_size=200)) if draw(st.booleans()) else None,
        accept=draw(st.sampled_from(["*/*", "application/json", "text/html",
                                     "application/atom+xml", "text/csv", "x/y"])))


def refusal_message(response) -> str:
    """What a refused request is told: the JSON error message, the HTML page's error
    paragraph, or the body of any other response."""
    text = response.get_data(as_text=True)
    mimetype = response.headers.get("Content-Type", "").split(";")[0]
    if mimetype.endswith("json"):
        return json.loads(text)["error"]["message"].strip()
    if mimetype == "text/html":
        found = re.search(r'class="error-message"[^>]*>(.*?)</', text, re.S)
        return found.group(1).strip() if found else ""
    return text.strip()


def check_response(response, method: str, described: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{described} -> {response.status_code}\n{body[:800]}"
    assert response.headers.get("Content-Type"), described
    if response.status_code >= 400 and method != "HEAD":
        assert refusal_message(response), f"{described} -> {response.status_code} without a message"
    elif response.status_code == 200 and response.mimetype.endswith("json") and method != "HEAD":
        json.loads(body)


def all_param_names(client) -> list[str]:
    names = set(BASE_PARAMS)
    for found in openapi_parameters(client).values():
        names |= found
    return sorted(names)


@pytest.fixture(scope="module")
def fuzz_client(index_dir):
    return create_app({"INDEX_DIR": str(index_dir)}).test_client()


def test_generated_requests_never_get_a_server_error(fuzz_client, pytestconfig):
    sent = Counter()
    refused = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(shapes(all_param_names(fuzz_client)))
    def fuzz(shape):
        for number, route in enumerate(ROUTES):
            method, path = shape.for_route(number, route)
            response = fuzz_client.open(path, method=method, query_string=shape.query,
                                        data=shape.body, headers={"Accept": shape.accept})
            sent[route.rule] += 1
            refused[route.rule] += response.status_code >= 400
            check_response(response, method, f"{method} {path[:300]}?{shape.query[:300]}")

    fuzz()
    for route in ROUTES:
        report_figure(pytestconfig, f"fuzzed {route.rule}: {sent[route.rule]:,} requests, "
                                    f"{refused[route.rule]:,} refused with a 4xx and a message")
    report_figure(pytestconfig, f"requests fuzzed through the app: {sum(sent.values()):,} "
                                f"over {len(ROUTES)} routes, 0 server errors")
    assert min(sent[route.rule] for route in ROUTES) >= EXAMPLES
    assert sum(sent.values()) >= FUZZ_REQUESTS


def test_generated_requests_over_http_never_get_a_server_error(server, pytestconfig):
    """A smaller batch through gunicorn: what the network adds (encoding, limits) is covered."""
    sent = Counter()
    session = requests.Session()

    @settings(max_examples=LIVE_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(shapes(list(BASE_PARAMS)))
    def fuzz(shape):
        for number, route in enumerate(ROUTES):
            method, path = shape.for_route(number, route)
            url = server.url + path + ("?" + shape.query if shape.query else "")
            response = session.request(method, url, data=shape.body, timeout=30,
                                       headers={"Accept": shape.accept})
            sent[route.rule] += 1
            described = f"{method} {url[:300]}"
            assert response.status_code < 500, f"{described} -> {response.status_code}"
            if response.status_code >= 400 and method != "HEAD":
                assert response.text.strip(), f"{described} -> {response.status_code}, no body"

    fuzz()
    report_figure(pytestconfig, f"requests fuzzed over HTTP: {sum(sent.values()):,} over "
                                f"{len(ROUTES)} routes, 0 server errors")
    assert min(sent[route.rule] for route in ROUTES) >= LIVE_EXAMPLES


RAW_REQUESTS = [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n",
    b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/search?q=%ff%fe%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/articles/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /api/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
]


@pytest.mark.parametrize("raw", RAW_REQUESTS, ids=lambda raw: repr(raw[:30]))
def test_malformed_http_is_refused_with_a_4xx(raw, server):
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = re.match(rb"HTTP/1\.[01] (\d{3}) ", reply)
    assert status, reply[:200]
    assert 400 <= int(status.group(1)) < 500, reply[:300]
    assert reply.split(b"\r\n\r\n", 1)[1].strip(), "the refusal has no message"


# --- Bounds: each one a 400 whose message names the limit -----------------------------------

def assert_refused(response, *words) -> str:
    assert response.status_code == 400, response.text[:300]
    message = response.json()["error"]["message"]
    for word in words:
        assert word in message, message
    return message


def test_query_length_is_bounded(server):
    at_limit = "space" + " " * (MAX_QUERY_CHARS - 5)
    assert server.get("/api/search", params={"q": at_limit}).status_code == 200
    assert_refused(server.get("/api/search", params={"q": at_limit + "x"}),
                   f"{MAX_QUERY_CHARS + 1} characters", f"limit is {MAX_QUERY_CHARS}")


def test_per_page_is_bounded(server):
    assert server.get("/api/search", params={"q": "space", "per_page": MAX_PER_PAGE}).ok
    assert_refused(server.get("/api/search", params={"q": "space", "per_page": MAX_PER_PAGE + 1}),
                   "per_page", str(MAX_PER_PAGE))


def test_deepest_page_is_bounded(server):
    last = MAX_RESULT_WINDOW // MAX_PER_PAGE
    deepest = server.get("/api/search", params={"q": "space", "per_page": MAX_PER_PAGE,
                                                "page": last})
    assert deepest.status_code == 200 and deepest.json()["hits"] == []
    assert_refused(server.get("/api/search", params={"q": "space", "per_page": MAX_PER_PAGE,
                                                     "page": last + 1}),
                   f"{MAX_RESULT_WINDOW}")


def test_number_of_query_clauses_is_bounded(server):
    words = [f"x{n:03d}" for n in range(MAX_CLAUSES + 1)]
    assert server.get("/api/search", params={"q": " ".join(words[:-1])}).status_code == 200
    assert_refused(server.get("/api/search", params={"q": " ".join(words)}),
                   f"{MAX_CLAUSES + 1} terms", f"limit is {MAX_CLAUSES}")
    assert_refused(server.get("/api/search", params={"q": "space~3"}), "limit is ~2")
    fuzzy = [f"spac{letter}~" for letter in "abcdefghij"[:MAX_FUZZY_TERMS + 1]]
    assert server.get("/api/search", params={"q": " ".join(fuzzy[:-1])}).status_code == 200
    assert_refused(server.get("/api/search", params={"q": " ".join(fuzzy)}),
                   f"{MAX_FUZZY_TERMS + 1} words with ~", f"limit is {MAX_FUZZY_TERMS}")


def test_did_you_mean_looks_up_a_bounded_number_of_words(server):
    typed = ["explorasion", "cooperasion", "misssion", "Rusia", "Indai", "spacce", "Gaganyan"]
    suggested = server.get("/api/search", params={"q": " ".join(typed)}).json()["suggestion"]
    changed = [a != b for a, b in zip(typed, suggested.split())]
    assert changed == [True] * MAX_CORRECTIONS + [False] * (len(typed) - MAX_CORRECTIONS)
    late = server.get("/api/search", params={"q": "spacce Gaganyan"}).json()["suggestion"]
    assert late.split() != ["spacce", "Gaganyan"]


def test_nested_parentheses_are_refused_not_crashed(server):
    deep = "(" * 400 + "space" + ")" * 400
    response = server.get("/api/search", params={"q": deep})
    assert response.status_code in (200, 400), response.text[:300]


@pytest.fixture(scope="module")
def many_words_index(tmp_path_factory):
    """An index whose vocabulary has more words starting with "zq" than a prefix may expand to."""
    seeds = tmp_path_factory.mktemp("words") / "seeds"
    seeds.mkdir()
    words = [f"zq{n:05d}" for n in range(MAX_EXPANSIONS + 200)]
    for start in range(0, len(words), 200):
        (seeds / f"words-{start}.txt").write_text(
            seed_text(f"Word list {start}", " ".join(words[start:start + 200])))
    index = seeds.parent / "index"
    update_index(index, [seeds], progress=False)
    return index


def test_wildcard_expansions_are_bounded(many_words_index):
    client = create_app({"INDEX_DIR": str(many_words_index)}).test_client()
    narrow = client.get("/api/search", query_string={"q": "zq0000*"})
    assert narrow.status_code == 200 and narrow.get_json()["total"] == 1
    wide = client.get("/api/search", query_string={"q": "zq*"})
    assert wide.status_code == 400
    assert f"matches more than {MAX_EXPANSIONS} words" in wide.get_json()["error"]["message"]
    fuzzy = client.get("/api/search", query_string={"q": "z*"})
    assert fuzzy.status_code == 400
    assert "at least 2 letters" in fuzzy.get_json()["error"]["message"]


def test_request_body_size_is_bounded(server):
    for method in ("GET", "POST"):
        response = requests.request(method, server.url + "/api/search?q=space",
                                    data=b"x" * (MAX_REQUEST_BYTES + 1), timeout=30)
        assert response.status_code == 413, (method, response.status_code)
        assert (f"larger than the limit of {MAX_REQUEST_BYTES:,} bytes"
                in response.json()["error"]["message"])
    assert requests.get(server.url + "/api/search?q=space", data=b"x" * MAX_REQUEST_BYTES,
                        timeout=30).status_code == 200


# --- Paths that try to leave the index or the seeds folder ----------------------------------

TRAVERSALS = [
    "../../../../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252f..%252fetc%252fpasswd", "....//....//....//etc/passwd",
    "..\\..\\..\\etc\\passwd", "..%5c..%5c..%5cetc%5cpasswd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/etc/passwd", "//etc/passwd", "seeds/../../../../etc/passwd", "seeds/..%2f..%2fsecret.txt",
    "../secret.txt", "..%2fsecret.txt", "../index/CURRENT", "..%2findex%2fCURRENT",
    "../../tests/data/robustness/secret.txt", "seeds/%2e%2e/%2e%2e/secret.txt",
    "seeds/xss.txt%00.html", "%00", "..;/secret.txt",
]


@pytest.fixture(scope="module")
def secret_beside_seeds(seeds_dir):
    """A file next to the seeds and index folders that no request may read."""
    secret = seeds_dir.parent / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER-7f3a\n")
    return secret


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET the path exactly as written (requests would normalise the dots)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_paths_cannot_escape_the_seeds_or_index_folder(server, index_dir, secret_beside_seeds,
                                                       pytestconfig):
    generation = (index_dir / "CURRENT").read_bytes().strip()  # what ../index/CURRENT holds
    tried = 0
    prefixes = {route.rule.split("<")[0] for route in app_routes() if route.arguments}
    for prefix in sorted(prefixes | {"/"}):
        for traversal in TRAVERSALS:
            status, body = raw_get(server, prefix + traversal)
            tried += 1
            assert status < 500, (prefix + traversal, status)
            assert b"TOP-SECRET-MARKER" not in body and b"root:x:0:0" not in body
            assert generation not in body, (prefix + traversal, body[:200])
    report_figure(pytestconfig, f"path traversal attempts: {tried}, none escaped")


def test_json_article_ids_cannot_name_files_outside(tmp_path):
    """Ids come from the article files; an id written like a path is only ever a lookup key."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "secret.txt").write_text("TOP-SECRET-MARKER-7f3a\n")
    records = [{"id": "../../secret.txt", "title": "Dots", "body": "Traversal attempt one."},
               {"id": "/etc/passwd", "title": "Slash", "body": "Traversal attempt two."}]
    (seeds / "export.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    update_index(tmp_path / "index", [seeds], progress=False)
    client = create_app({"INDEX_DIR": str(tmp_path / "index")}).test_client()
    hits = client.get("/api/search", query_string={"q": "traversal"}).get_json()["hits"]
    assert sorted(h["id"] for h in hits) == ["seeds/export.jsonl:../../secret.txt",
                                             "seeds/export.jsonl:/etc/passwd"]
    for hit in hits:
        article = client.get("/api/articles/" + quote(hit["id"]))
        assert article.status_code == 200
        assert "TOP-SECRET" not in article.get_data(as_text=True)
    assert client.get("/api/articles/../../secret.txt").status_code == 404
