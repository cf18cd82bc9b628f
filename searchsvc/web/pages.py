"""The HTML pages: search box, results, article. Each renders the object the API returns."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from ..errors import QueryError
from .params import search_request

bp = Blueprint("pages", __name__)


@bp.app_template_filter("link_url")
def link_url(url: str | None) -> str | None:
    """Only http(s) addresses become links; anything else (javascript:, data:) is not one."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


@bp.app_template_global("page_url")
def page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = page
    return url_for("pages.search", **args)


@bp.get("/")
def home():
    return render_template("index.html", query="")


@bp.get("/search")
def search():
    query = request.args.get("q", "")
    try:
        results = current_app.extensions["searchsvc"].search(search_request(request.args))
    except QueryError as exc:
        return render_template("results.html", query=query, results=None, error=str(exc)), 400
    return render_template("results.html", query=query, results=results, error=None)


@bp.get("/articles/<path:article_id>")
def article(article_id):
    found = current_app.extensions["searchsvc"].article(article_id)
    return render_template("article.html", query=request.args.get("q", ""), article=found)
