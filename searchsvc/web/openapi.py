"""The OpenAPI 3 description of every endpoint, written by hand next to the code it describes
(tests run schemathesis against it on a live server, so the two cannot drift apart)."""

from .. import __version__
from ..searching import MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW, SORTS
from .exports import CSV_COLUMNS
from .params import (EXPORT_ROWS, FEED_ENTRIES, MAX_ARTICLE_ID_CHARS, MAX_FILTER_CHARS,
                     MAX_REQUEST_LINE_BYTES, RELATED_LIMIT, SUGGEST_LIMIT)

_CORS = {"Access-Control-Allow-Origin": {
    "description": "Always `*`: the API is read-only and may be called from any origin.",
    "schema": {"type": "string", "enum": ["*"]}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, cors: bool = True) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": _ref("Error")}}}
    if cors:
        response["headers"] = _CORS
    return response


def _json(description: str, schema: dict, cors: bool = True) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if cors:
        response["headers"] = _CORS
    return response


def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _param(name: str, description: str, schema: dict, required: bool = False,
           where: str = "query", example: str | None = None) -> dict:
    param = {"name": name, "in": where, "required": required, "description": description,
             "schema": schema}
    if example is not None:
        param["example"] = example
    return param


_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
_EMPTY = {"type": "string", "maxLength": 0}
_DATE_OR_EMPTY = {"anyOf": [{"type": "string", "format": "date"}, _EMPTY]}
_NO_NUL = r"^[^\x00]*$"  # every route refuses a NUL in a query with a 400
_DISPLAY_TITLE = {"type": "string", "description": "The headline to show: one written all in "
                  "capitals (as Reuters wrote them) in sentence case, each word as the "
                  "article's text writes it, acronyms and tickers (`U.S.`, `OPEC`, `<XON>`) "
                  "kept; any other headline as it is."}


def _optional_integer(minimum: int, maximum: int, default: int) -> dict:
    """An integer parameter that may also be sent empty (meaning its default), as browsers
    send OpenSearch's optional `{startPage?}` and HTML forms their empty fields."""
    return {"anyOf": [{"type": "integer", "minimum": minimum, "maximum": maximum}, _EMPTY],
            "default": default}


def _optional_choice(choices: list[str]) -> dict:
    """One of `choices`, or empty for the first."""
    return {"type": "string", "enum": [*choices, ""], "default": choices[0]}


QUERY = _param("q", "The query, in Whoosh's syntax: words (either may match, both rank "
               "first), \"a phrase\", `title:` or `source:` for one field, AND / OR / NOT, "
               "`word*` for a prefix of two letters or more, `word~` for similar spellings. "
               "A query whose syntax cannot be run is a 400 that says why.",
               {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
                "pattern": r"^[^\x00]*[^\x00\s][^\x00]*$"}, required=True,
               example="harbour strike")
FILTERS = [
    _param("source", "Only articles from this source (a `source` facet value; empty: any).",
           {"type": "string", "maxLength": MAX_FILTER_CHARS["source"]}),
    _param("language", "Only articles in this language (ISO 639-1 code, a `language` facet "
           "value; empty: any).", {"type": "string", "maxLength": MAX_FILTER_CHARS["language"]}),
    _param("from", "Only articles dated on or after this day, YYYY-MM-DD (empty: no bound).",
           _DATE_OR_EMPTY),
    _param("to", "Only articles dated on or before this day, YYYY-MM-DD (empty: no bound); "
           "a `to` before `from` is a 400.", _DATE_OR_EMPTY),
]
STORY = _param("story", "An article id: only the versions of that article's story (the "
               "copies a hit's `similar` counts), each listed apart (empty: every story, each "
               "once). An id no article has matches nothing.",
               {"type": "string", "maxLength": MAX_FILTER_CHARS["story"]})
SORT = _param("sort", "`relevance` (best match first: articles holding more of the query's "
              "words, then a relevance score that favours rare words, headline matches and "
              "words close together; the scoring may change between versions), `newest` or "
              "`oldest` first (empty: `relevance`).", _optional_choice(list(SORTS)))
PAGING = [
    _param("page", f"Result page, from 1 (empty: 1). Pages reach the {MAX_RESULT_WINDOW:,}th "
           f"result: `page` × `per_page` may be at most {MAX_RESULT_WINDOW:,} (so `page` "
           f"goes to {MAX_RESULT_WINDOW:,} with `per_page=1`, to "
           f"{MAX_RESULT_WINDOW // 10:,} with the default 10); a deeper page is a 400.",
           _optional_integer(1, MAX_RESULT_WINDOW, 1)),
    _param("per_page", "Results per page (empty: 10); see `page` for how deep they reach.",
           _optional_integer(1, MAX_PER_PAGE, 10)),
]
ARTICLE_ID = _param("id", "The article id: its file's path under the indexed folder, with "
                    "`:key` appended for files that hold many articles. Ids up to "
                    f"{MAX_ARTICLE_ID_CHARS:,} characters fit the request line in any script.",
                    {"type": "string", "minLength": 1, "maxLength": MAX_ARTICLE_ID_CHARS},
                    required=True, where="path")
HIGHLIGHT = _param("q", "Optional query whose words (and the variants a search adds to them) "
                   "are marked in `title_html` and `body_html` (empty: none).",
                   {"type": "string", "maxLength": MAX_QUERY_CHARS, "pattern": _NO_NUL})
PAGE_HIGHLIGHT = _param("q", "Optional: the query of the results the page was opened from. "
                        "Its words are marked, and the page links back to those results with "
                        "the filters, sort and page below (empty: no query, no link).",
                        HIGHLIGHT["schema"])

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "`bad_query`, `not_found`, "
                         "`method_not_allowed`, `index_unavailable`, ...",
                         "example": "bad_query"},
                "message": {"type": "string", "description": "What is wrong and what to "
                            "change, as a sentence for a person."}}}},
    },
    "Hit": {
        "type": "object",
        "required": ["id", "title", "display_title", "date", "source", "language", "url",
                     "score", "snippet", "similar"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string", "description": "The headline as stored."},
            "display_title": _DISPLAY_TITLE,
            "date": _NULLABLE_DATE,
            "source": _NULLABLE_STRING,
            "language": {"type": "string", "description": "ISO 639-1 code, or `und` when "
                         "the text does not tell."},
            "url": _NULLABLE_STRING,
            "score": {"type": "number", "description": "Relevance score (0 when sorted by "
                      "date)."},
            "snippet": {"type": "string", "description": "HTML: the article text escaped, "
                        "`<mark>` around matched words."},
            "similar": {"type": "integer", "minimum": 0, "description": "Near-duplicate "
                        "versions of this story (copies with the same source and the same "
                        "start of text, whatever their headline) folded into this hit; "
                        "`story=<id>` lists them."},
        },
    },
    "FacetCount": {"type": "object", "required": ["value", "count"],
                   "properties": {"value": {"type": "string", "nullable": True,
                                            "description": "null counts the results with "
                                            "no value (no source; undated), last."},
                                  "count": {"type": "integer", "minimum": 1}}},
    "Matching": {
        "type": "object", "nullable": True,
        "required": ["words", "all_words", "left_out"],
        "description": "For a query of words (or phrases) side by side, with no operator "
        "between them: which articles hold them all. In `newest` and `oldest` order the "
        "results are the articles holding every word; when none does, the words matching "
        "nothing are left out, then words from the end, until some articles match "
        "(`left_out`). In `relevance` order every article holding any word is listed, those "
        "holding more of them weighing more. null for other queries (one word, AND, OR, NOT).",
        "properties": {
            "words": {"type": "array", "items": {"type": "string"},
                      "description": "The words and phrases, as typed."},
            "all_words": {"type": "integer", "minimum": 0,
                          "description": "Results (stories) holding every word."},
            "left_out": {"type": "array", "items": {"type": "string"},
                         "description": "Words no listed article holds, in date orders when "
                         "no article holds them all; empty otherwise."}}},
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "pages", "took_ms", "sort",
                     "filters", "suggestion", "hits", "facets"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0, "description": "Matching articles."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1, "description": "Pages that can be "
                      f"reached (results up to the {MAX_RESULT_WINDOW:,}th)."},
            "took_ms": {"type": "number", "minimum": 0},
            "sort": {"type": "string", "enum": list(SORTS)},
            "filters": {"type": "object",
                        "required": ["source", "language", "from", "to", "story"],
                        "properties": {"source": _NULLABLE_STRING,
                                       "language": _NULLABLE_STRING,
                                       "from": _NULLABLE_DATE, "to": _NULLABLE_DATE,
                                       "story": _NULLABLE_STRING}},
            "suggestion": {"type": "string", "nullable": True,
                           "description": "\"Did you mean\": the query with unknown words "
                           "replaced by the closest indexed words."},
            "matching": _ref("Matching"),
            "newest": {**_NULLABLE_DATE, "description": "The newest date of the results the "
                       "same search lists without `from` and `to` (null: none is dated): the "
                       "page's date presets count back from it when the archive is older."},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {"type": "object", "description": "Counts over all matching results, "
                       "largest first, those with no value (`value` null) last, so that each "
                       "facet's counts add up to `total`; `month` values are `YYYY-MM`, `day` "
                       "values `YYYY-MM-DD` (in date order, and only when the dated results "
                       "span 62 days or fewer; empty otherwise).",
                       "required": ["source", "language", "month", "day"],
                       "additionalProperties": {"type": "array", "items": _ref("FacetCount")}},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "title", "display_title", "date", "source", "language", "url",
                     "body", "body_html"],
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "display_title": _DISPLAY_TITLE, "date": _NULLABLE_DATE,
            "source": _NULLABLE_STRING, "language": {"type": "string"}, "url": _NULLABLE_STRING,
            "body": {"type": "string", "description": "Plain text, paragraphs separated by a "
                     "blank line."},
            "body_html": {"type": "array", "items": {"type": "string"},
                          "description": "The paragraphs as escaped HTML, with `<mark>` "
                          "around the words of `q`."},
        },
    },
    "Suggestions": {"type": "object", "required": ["query", "suggestions"],
                    "properties": {"query": {"type": "string"},
                                   "suggestions": {"type": "array",
                                                   "items": {"type": "string"}}}},
    "OpenSearchSuggestions": {
        "type": "array", "minItems": 2, "maxItems": 2,
        "description": "OpenSearch suggestions: `[query, [completions]]`.",
        "items": {"anyOf": [{"type": "string"},
                            {"type": "array", "items": {"type": "string"}}]}},
    "Related": {"type": "object", "required": ["id", "hits"],
                "properties": {"id": {"type": "string"},
                               "hits": {"type": "array", "items": _ref("Hit")}}},
    "Health": {"type": "object", "required": ["status", "articles", "generation"],
               "properties": {"status": {"type": "string", "enum": ["ok"]},
                              "articles": {"type": "integer", "minimum": 0},
                              "generation": {"type": "string",
                                             "pattern": "^(gen|shards)-[0-9]+$"},
                              "shards": {"type": "array", "items": _ref("Shard"),
                                         "description": "A sharded index's shards, each "
                                                        "as its worker reports it."}}},
    "Shard": {"type": "object", "required": ["shard", "articles", "generation", "node", "pid"],
              "properties": {"shard": {"type": "integer", "minimum": 0},
                             "articles": {"type": "integer", "minimum": 0},
                             "generation": {"type": "string", "pattern": "^gen-[0-9]+$"},
                             "node": {"type": "string", "description": "The host serving it."},
                             "pid": {"type": "integer",
                                     "description": "Its process on that host."}}},
}

BAD_REQUEST = _error("A malformed query or parameter; the message says what to change.")
NO_INDEX = _error("No usable index at the configured path (run `searchsvc index`).")
NOT_FOUND = _error("No indexed article has this id.")
TOO_LONG = _html(f"The request line is longer than {MAX_REQUEST_LINE_BYTES:,} bytes, the "
                 "server's limit; answered by the HTTP server. Every request within the "
                 "bounds this document gives fits, in any script.")
CSV_HEADERS = {
    "X-Total-Count": {"description": "CSV only: the number of matching results.",
                      "schema": {"type": "integer", "minimum": 0}},
    "X-Truncated": {"description": f"CSV only: `true` when there are more than {EXPORT_ROWS:,} "
                    "results and the export holds the first of them.",
                    "schema": {"type": "string", "enum": ["true", "false"]}},
}
HIT_LINKS = {
    "article": {"operationId": "article", "parameters": {"id": "$response.body#/hits/0/id"},
                "description": "The first hit's full text."},
    "related": {"operationId": "related", "parameters": {"id": "$response.body#/hits/0/id"},
                "description": "Articles like the first hit."},
    "page": {"operationId": "articlePage", "parameters": {"id": "$response.body#/hits/0/id"},
             "description": "The first hit's article page."},
}


def openapi_document(server_url: str) -> dict:
    """The document, with the server's own address as its base URL."""
    document = _document(server_url)
    for item in document["paths"].values():
        item["get"]["responses"]["414"] = TOO_LONG
    return document


def _document(server_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "searchsvc", "version": __version__,
                 "description": "Full-text search over a folder of news articles. Read-only; "
                 "every /api/ response allows any origin (CORS). Errors are JSON "
                 "`{\"error\": {\"code\", \"message\"}}`."},
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search: ranked hits with highlighted snippets, facets and a "
                           "\"did you mean\" suggestion; or every matching row as CSV.",
                "operationId": "search",
                "parameters": [QUERY, *FILTERS, STORY, SORT, *PAGING,
                               _param("format", "`json` (or empty), or `csv` for an export "
                                      f"of every matching row up to the {EXPORT_ROWS:,}th "
                                      "(`page` and `per_page` do not apply): UTF-8 with a "
                                      "byte order mark, columns " + ", ".join(CSV_COLUMNS) +
                                      " (`article_page` is the article's page on this site, "
                                      "`snippet` plain text). A cut export ends with a line "
                                      "starting `# Cut at`; `searchsvc export` has no cut.",
                                      _optional_choice(["json", "csv"]))],
                "responses": {
                    "200": {"description": "Results (JSON), or the export (CSV).",
                            "headers": {**_CORS, **CSV_HEADERS}, "links": HIT_LINKS,
                            "content": {"application/json": {"schema": _ref("SearchResults")},
                                        "text/csv": {"schema": {"type": "string"}}}},
                    "400": BAD_REQUEST, "503": NO_INDEX}}},
            "/api/suggest": {"get": {
                "summary": "Whole queries that complete what has been typed so far: the "
                           "unfinished last word completed with the index's most frequent "
                           "words, and headlines holding the words typed.",
                "operationId": "suggest",
                "parameters": [
                    _param("q", "What has been typed so far (no suggestions when empty).",
                           {"type": "string", "maxLength": MAX_QUERY_CHARS,
                            "pattern": _NO_NUL}),
                    _param("limit", f"How many suggestions at most (empty: {SUGGEST_LIMIT[0]}).",
                           _optional_integer(1, SUGGEST_LIMIT[1], SUGGEST_LIMIT[0])),
                    _param("format", "`json` (or empty), or `opensearch` for the OpenSearch "
                           "suggestions format that browsers read.",
                           _optional_choice(["json", "opensearch"]))],
                "responses": {
                    "200": {"description": "Suggestions.", "headers": _CORS, "content": {
                        "application/json": {"schema": _ref("Suggestions")},
                        "application/x-suggestions+json": {
                            "schema": _ref("OpenSearchSuggestions")}}},
                    "400": BAD_REQUEST, "503": NO_INDEX}}},
            "/api/articles/{id}": {"get": {
                "summary": "One article, full text.",
                "operationId": "article",
                "parameters": [ARTICLE_ID, HIGHLIGHT],
                "responses": {"200": _json("The article.", _ref("Article")),
                              "400": BAD_REQUEST, "404": NOT_FOUND, "503": NO_INDEX}}},
            "/api/articles/{id}/related": {"get": {
                "summary": "Articles most like this one (by its distinctive words), best "
                           "first.",
                "operationId": "related",
                "parameters": [ARTICLE_ID,
                               _param("limit", "How many articles at most (empty: "
                                      f"{RELATED_LIMIT[0]}).",
                                      _optional_integer(1, RELATED_LIMIT[1], RELATED_LIMIT[0]))],
                "responses": {"200": {**_json("Related articles.", _ref("Related")),
                                      "links": HIT_LINKS},
                              "400": BAD_REQUEST, "404": NOT_FOUND, "503": NO_INDEX}}},
            "/api/openapi.json": {"get": {
                "summary": "This document.", "operationId": "openapi",
                "responses": {"200": _json("OpenAPI 3 document.", {"type": "object"})}}},
            "/healthz": {"get": {
                "summary": "Liveness, index size and the generation served, for monitors and "
                           "load balancers.", "operationId": "health",
                "responses": {"200": _json("Serving.", _ref("Health"), cors=False),
                              "503": _error("No usable index.", cors=False)}}},
            "/search.atom": {"get": {
                "summary": f"Atom feed of the {FEED_ENTRIES} newest matching articles: a "
                           "saved query as an alert in a feed reader.",
                "operationId": "feed",
                "parameters": [QUERY, *FILTERS, STORY],
                "responses": {
                    "200": {"description": "Atom 1.0 feed.", "content": {
                        "application/atom+xml": {"schema": {"type": "string"}}}},
                    "400": _html("A malformed query; the page says what to change."),
                    "503": _html("No usable index.")}}},
            "/opensearch.xml": {"get": {
                "summary": "OpenSearch description, so browsers can add searchsvc as a "
                           "search engine.",
                "operationId": "opensearch",
                "responses": {"200": {"description": "OpenSearch 1.1 description.", "content": {
                    "application/opensearchdescription+xml": {"schema": {"type": "string"}}}}}}},
            "/": {"get": {"summary": "The home page (HTML): a search box and the syntax.",
                          "operationId": "homePage",
                          "responses": {"200": _html("Home page.")}}},
            "/search": {"get": {
                "summary": "The results page (HTML).", "operationId": "searchPage",
                "parameters": [QUERY, *FILTERS, STORY, SORT, *PAGING],
                "responses": {"200": _html("Results page."),
                              "400": _html("The query cannot be run; the page explains the "
                                           "syntax."),
                              "503": _html("No usable index.")}}},
            "/articles/{id}": {"get": {
                "summary": "The article page (HTML) with related articles, and a link back to "
                           "the results it was opened from.",
                "operationId": "articlePage",
                "parameters": [ARTICLE_ID, PAGE_HIGHLIGHT, *FILTERS, SORT, *PAGING],
                "responses": {"200": _html("Article page."), "400": _html("Bad parameter."),
                              "404": _html("No such article."),
                              "503": _html("No usable index.")}}},
        },
        "components": {"schemas": SCHEMAS},
    }
