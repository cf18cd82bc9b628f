"""The JSON API: the same Results object as the pages, rendered as JSON (or CSV for export)."""

import itertools

from flask import (Blueprint, Response, current_app, jsonify, request, stream_with_context,
                   url_for)

from ..searching import Hit, Results, SearchIndex, StoredArticle
from ..searching.matching import Matching
from ..searching.sharded import ShardedSearchIndex
from . import params
from .exports import csv_chunks, cut_note, export_pages
from .openapi import openapi_document
from .params import RELATED_LIMIT, SUGGEST_LIMIT, choice_param, integer_param, search_request

bp = Blueprint("api", __name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Language, Content-Type",
    "Access-Control-Expose-Headers": "Content-Disposition, X-Total-Count, X-Truncated",
    "Access-Control-Max-Age": "86400",
}


def search_index() -> SearchIndex:
    return current_app.extensions["searchsvc"]


@bp.get("/api/search")
def search():
    if choice_param(request.args, "format", ("json", "csv")) == "csv":
        return export_csv()
    results = search_index().search(search_request(request.args))
    return jsonify(results_json(results))


@bp.get("/api/suggest")
def suggest():
    """Completions of what is typed so far; `format=opensearch` answers in the OpenSearch
    suggestions format (`[query, [completions]]`) that browsers' address bars read."""
    prefix = request.args.get("q", "")
    limit = integer_param(request.args, "limit", *SUGGEST_LIMIT)
    fmt = choice_param(request.args, "format", ("json", "opensearch"))
    suggestions = search_index().suggest(prefix, limit=limit)
    if fmt == "opensearch":
        response = jsonify([prefix, suggestions])
        response.mimetype = "application/x-suggestions+json"
        return response
    return jsonify({"query": prefix, "suggestions": suggestions})


@bp.get("/api/articles/<path:article_id>")
def article(article_id):
    found = search_index().article(article_id, q=request.args.get("q") or None)
    return jsonify(article_json(found))


@bp.get("/api/articles/<path:article_id>/related")
def related(article_id):
    limit = integer_param(request.args, "limit", *RELATED_LIMIT)
    hits = search_index().related(article_id, limit=limit)
    return jsonify({"id": article_id, "hits": [hit_json(hit) for hit in hits]})


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.get("/healthz")
def healthz():
    index = search_index()
    if isinstance(index, ShardedSearchIndex):  # each shard answers for itself
        generation, articles, shards = index.shards()
        return jsonify({"status": "ok", "articles": articles, "generation": generation,
                        "shards": shards})
    generation, articles = index.served()
    return jsonify({"status": "ok", "articles": articles, "generation": generation})


@bp.after_app_request
def cors(response):
    """The API is read-only and public: browser apps on any origin may call it."""
    if request.path.startswith("/api/"):
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def export_csv():
    """All matching rows, up to EXPORT_ROWS, streamed page by page as the pages are searched.

    The first page is searched before the response starts, so a bad query is still a 400. A
    cut export says so: `X-Truncated: true` and a last line that says how many rows are left
    out and how to get them."""
    rows = params.EXPORT_ROWS
    pages = export_pages(search_index(), search_request(request.args), rows)
    first = next(pages)
    truncated = first.total > rows
    chunks = csv_chunks(itertools.chain([first], pages), article_page_url,
                        cut_note(first.total, rows) if truncated else None)
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="searchsvc-results.csv"'
    response.headers["X-Total-Count"] = str(first.total)
    response.headers["X-Truncated"] = "true" if truncated else "false"
    return response


def article_page_url(article_id: str) -> str:
    return url_for("pages.article", article_id=article_id, _external=True)


def results_json(results: Results) -> dict:
    req = results.request
    return {
        "query": req.q,
        "total": results.total,
        "page": req.page,
        "per_page": req.per_page,
        "pages": results.pages,
        "took_ms": round(results.took_ms, 2),
        "sort": req.sort,
        "filters": {"source": req.source, "language": req.language,
                    "from": _iso(req.date_from), "to": _iso(req.date_to), "story": req.story},
        "suggestion": results.suggestion,
        "matching": matching_json(results.matching),
        "newest": _iso(results.newest),
        "hits": [hit_json(hit) for hit in results.hits],
        "facets": {name: [{"value": f.value, "count": f.count} for f in counts]
                   for name, counts in results.facets.items()},
    }


def matching_json(matching: Matching | None) -> dict | None:
    if matching is None:
        return None
    return {"words": list(matching.words), "all_words": matching.all_words,
            "left_out": list(matching.left_out)}


def hit_json(hit: Hit) -> dict:
    return {"id": hit.id, "title": hit.title, "display_title": hit.display_title,
            "date": _iso(hit.date), "source": hit.source, "language": hit.language,
            "url": hit.url, "score": hit.score, "snippet": hit.snippet, "similar": hit.similar}


def article_json(article: StoredArticle) -> dict:
    return {"id": article.id, "title": article.title, "display_title": article.display_title,
            "date": _iso(article.date), "source": article.source, "language": article.language,
            "url": article.url, "body": article.body, "body_html": article.body_html}


def _iso(value):
    return value.isoformat() if value else None
