"""The HTML pages: search box, results, article. Each renders the object the API returns."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from ..errors import QueryError
from .histogram import date_histogram
from .params import RELATED_LIMIT, search_request

bp = Blueprint("pages", __name__)

FACET_TITLES = {"source": "Source", "language": "Language"}
FACETS_SHOWN = 10
LANGUAGE_NAMES = {
    "da": "Danish", "de": "German", "en": "English", "es": "Spanish", "fi": "Finnish",
    "fr": "French", "hi": "Hindi", "hu": "Hungarian", "it": "Italian", "nl": "Dutch",
    "no": "Norwegian", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
}
SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "oldest": "Oldest"}
FILTER_PARAMS = ("source", "language", "from", "to")


@bp.app_template_filter("link_url")
def link_url(url: str | None) -> str | None:
    """Only http(s) addresses become links; anything else (javascript:, data:) is not one."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


@bp.app_template_filter("language_name")
def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@bp.app_template_global("search_url")
def search_url(endpoint: str = "pages.search", **changes) -> str:
    """This search's address with `changes` applied (None removes a parameter). A change of
    anything but the page goes back to page 1."""
    args = request.args.to_dict()
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(endpoint, **args)


@bp.app_template_global("page_url")
def page_url(page: int) -> str:
    return search_url(page=page)


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
    active = [(name, request.args[name]) for name in FILTER_PARAMS if request.args.get(name)]
    return render_template(
        "results.html", query=query, results=results, error=None, active_filters=active,
        facets=[(name, FACET_TITLES[name], results.facets.get(name, []))
                for name in FACET_TITLES],
        facets_shown=FACETS_SHOWN, histogram=date_histogram(results.facets.get("month", [])),
        sort_labels=SORT_LABELS)


@bp.get("/articles/<path:article_id>")
def article(article_id):
    query = request.args.get("q", "")
    index = current_app.extensions["searchsvc"]
    found = index.article(article_id, q=query or None)
    related = index.related(article_id, limit=RELATED_LIMIT[0])
    return render_template("article.html", query=query, article=found, related=related)
