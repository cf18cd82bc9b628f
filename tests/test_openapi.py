"""The OpenAPI document is the truth about the API: schemathesis generates requests from it,
valid and invalid, sends them to `searchsvc serve`, and checks every answer against it."""

import re
import subprocess
import sys

from searchsvc.web import create_app

# Two things JSON Schema cannot say, told to schemathesis instead: a query that fits the schema
# can still be unrunnable (bad syntax, a one-letter wildcard, a page past the 10,000th result),
# which is a 400 with a message; and a request line past the HTTP server's 8,190 bytes is
# refused with a 414 before it reaches the app.
SCHEMATHESIS_CONFIG = """
[checks]
negative_data_rejection.expected-statuses = ["400", "404", "405", "414"]

[[operations]]
include-operation-id = ["search", "searchPage", "feed", "article", "articlePage"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]
"""


def test_api_conforms_to_its_openapi_document(server, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config),
         "run", f"{server.url}/api/openapi.json", "--checks", "all", "--max-examples", "25",
         "--seed", "20241117", "--request-timeout", "30"],
        cwd=tmp_path, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # Every operation but the document itself (schemathesis leaves out its own source).
    assert re.search(r"Tested: +10\b", run.stdout), run.stdout[-3000:]


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
