"""The JSON API: the same Results object as the pages, rendered as JSON."""

from flask import Blueprint, current_app, jsonify, request

from ..searching import Hit, Results, StoredArticle
from .params import search_request

bp = Blueprint("api", __name__)


def search_index():
    return current_app.extensions["searchsvc"]


@bp.get("/api/search")
def search():
    results = search_index().search(search_request(request.args))
    return jsonify(results_json(results))


@bp.get("/api/articles/<path:article_id>")
def article(article_id):
    return jsonify(article_json(search_index().article(article_id)))


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok", "articles": search_index().doc_count()})


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
        "suggestion": results.suggestion,
        "hits": [hit_json(hit) for hit in results.hits],
        "facets": {name: [{"value": f.value, "count": f.count} for f in counts]
                   for name, counts in results.facets.items()},
    }


def hit_json(hit: Hit) -> dict:
    return {"id": hit.id, "title": hit.title, "date": _iso(hit.date), "source": hit.source,
            "language": hit.language, "url": hit.url, "score": hit.score,
            "snippet": hit.snippet}


def article_json(article: StoredArticle) -> dict:
    return {"id": article.id, "title": article.title, "date": _iso(article.date),
            "source": article.source, "language": article.language, "url": article.url,
            "body": article.body}


def _iso(value):
    return value.isoformat() if value else None
