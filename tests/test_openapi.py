"""The OpenAPI document is the truth about the API: schemathesis generates requests from it,
valid and invalid, sends them to `searchsvc serve`, and checks every answer against it."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from searchsvc.searching import MAX_QUERY_CHARS
from searchsvc.web import create_app
from searchsvc.web.params import MAX_REQUEST_LINE_BYTES

# What JSON Schema cannot say, told to schemathesis instead. A query that fits the schema can
# still be unrunnable (bad syntax, a one-letter wildcard), reach past the 10,000th result
# (page x per_page) or put `from` after `to`: the descriptions say so, and the answer is a 400
# with a message (openapi_checks.py holds each such 400 to its description). Nothing else may
# refuse a request the document allows: suggestions answer every allowed request, and unknown
# article ids are a 404. A request that breaks the document is refused with a 4xx, a 414 where
# its request line is longer than the server takes.
CHECKS = Path(__file__).with_name("openapi_checks.py")
SCHEMATHESIS_CONFIG = """
[checks]
negative_data_rejection.expected-statuses = ["400", "404", "405", "414"]

[[operations]]
include-operation-id = ["search", "searchPage", "feed"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400"]

[[operations]]
include-operation-id = ["article", "articlePage"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]

[[operations]]
include-operation-id = ["related"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "404"]

[[operations]]
include-operation-id = ["suggest", "health", "opensearch", "homePage"]
checks.positive_data_acceptance.expected-statuses = ["2xx"]
"""


def schemathesis(server, tmp_path, *options) -> subprocess.CompletedProcess:
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    return subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config),
         "run", f"{server.url}/api/openapi.json", "--checks", "all", "--seed", "20241117",
         "--generation-database", "none", "--request-timeout", "30", *options],
        cwd=tmp_path, capture_output=True, text=True, timeout=540,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(CHECKS)})


def test_api_conforms_to_its_openapi_document(server, tmp_path):
    """Each operation on its own, 300 generated requests, valid and invalid (the numbers that
    found the page, request-line, NUL and date mismatches): about a minute."""
    run = schemathesis(server, tmp_path, "--phases", "examples,coverage,fuzzing",
                       "--max-examples", "300")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # Every operation but the document itself (schemathesis leaves out its own source).
    assert re.search(r"Tested: +10\b", run.stdout), run.stdout[-3000:]


def test_api_conforms_to_its_openapi_document_in_sequences(server, tmp_path):
    """Sequences that follow the document's links from a search to its hits' articles, so the
    article operations see real ids (25 of them: 300 take many minutes)."""
    run = schemathesis(server, tmp_path, "--phases", "stateful", "--max-examples", "25")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_openapi_document_describes_every_route(server, index_dir):
    document = server.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": server.url}]
    app = create_app({"INDEX_DIR": str(index_dir)})
    routes = {rule.rule.replace("<path:article_id>", "{id}") for rule in app.url_map.iter_rules()
              if rule.endpoint != "static"}
    assert routes == set(document["paths"])
    for path, item in document["paths"].items():
        operation = item["get"]
        assert operation["summary"] and operation["responses"]["200"], path
        for parameter in operation.get("parameters", []):
            assert parameter["description"] and parameter["schema"], (path, parameter["name"])


def worst_request_line(path: str, operation: dict) -> int:
    """The longest request line the document allows for an operation: every character of
    every string a 4-byte UTF-8 one, percent-escaped (12 bytes)."""
    def longest(schema: dict) -> int:
        if "anyOf" in schema:
            return max(longest(option) for option in schema["anyOf"])
        if "enum" in schema:
            return max(len(str(value)) for value in schema["enum"])
        if schema["type"] == "integer":
            return len(str(schema["maximum"]))
        if schema.get("format") == "date":
            return len("2024-01-01")
        assert "maxLength" in schema, f"{path}: a string without a maxLength"
        return 12 * schema["maxLength"]

    parameters = operation.get("parameters", [])
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", "x" * longest(parameter["schema"]))
    query = "&".join(f"{p['name']}={'x' * longest(p['schema'])}" for p in parameters
                     if p["in"] == "query")
    return len(f"GET {path}?{query} HTTP/1.1")


def test_every_request_the_document_allows_fits_the_request_line(server):
    document = server.get("/api/openapi.json").json()
    longest = {path: worst_request_line(path, item["get"])
               for path, item in document["paths"].items()}
    assert max(longest.values()) <= MAX_REQUEST_LINE_BYTES, longest
    # the longest ones, sent: a 1,000-character query and a long id in an astral script
    astral = quote("\U00010348")  # 𐍈, 4 bytes in UTF-8
    query = astral * MAX_QUERY_CHARS
    search = server.get(f"/api/search?q={query}&source={astral * 200}&language={astral * 20}"
                        "&from=2024-01-01&to=2024-12-31&sort=relevance&page=1&per_page=10")
    assert search.status_code == 200 and search.json()["total"] == 0
    article = server.get(f"/articles/{astral * 1024}?q={query}")
    assert article.status_code == 404 and "no article" in article.text


def test_a_request_line_longer_than_the_limit_is_refused_by_the_http_server(server):
    start = "/api/search?q=space&source="
    length = len(f"GET {start} HTTP/1.1")
    at_limit = server.get(start + "x" * (MAX_REQUEST_LINE_BYTES - length))
    assert at_limit.status_code == 400 and "source is" in at_limit.json()["error"]["message"]
    assert server.get(start + "x" * (MAX_REQUEST_LINE_BYTES - length + 1)).status_code == 414
