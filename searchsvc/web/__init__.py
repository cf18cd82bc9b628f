"""The Flask application: search pages and the JSON API over one index folder."""

import os
import site
import sys
from pathlib import Path

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from ..caching import RESULTS_CACHE_ENTRIES
from ..errors import SettingError
from ..searching.sharded import open_search_index
from . import api, errors, feeds, pages, ratelimit

MAX_REQUEST_BYTES = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class HtmlSafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & written as \\u escapes, so a response that a browser mistakes for
    HTML still carries no markup (the decoded values are unchanged)."""

    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; settings come from `test_config`, else SEARCHSVC_* environment variables."""
    app = Flask(__name__, template_folder=str(templates_dir()))
    app.json = HtmlSafeJSONProvider(app)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.config.from_mapping(
        INDEX_DIR=os.environ.get("SEARCHSVC_INDEX", "index"),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        RATE_LIMIT=os.environ.get("SEARCHSVC_RATE_LIMIT"),
        RESULTS_CACHE=os.environ.get("SEARCHSVC_RESULTS_CACHE", str(RESULTS_CACHE_ENTRIES)),
        CLUSTER=os.environ.get("SEARCHSVC_CLUSTER") or None,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["searchsvc"] = open_search_index(
        app.config["INDEX_DIR"], cache_entries=_entries(app.config["RESULTS_CACHE"]),
        cluster=app.config["CLUSTER"])
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    errors.register(app)
    ratelimit.init_app(app)

    @app.before_request
    def refuse_large_bodies():
        """Werkzeug enforces MAX_CONTENT_LENGTH only when a view reads the body, and none does:
        refuse an oversized body up front rather than let it be read and thrown away."""
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            raise RequestEntityTooLarge(f"the request body is larger than the limit of "
                                        f"{app.config['MAX_CONTENT_LENGTH']:,} bytes")

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def templates_dir() -> Path:
    """The top-level templates/ folder: beside the package in a checkout, or where the wheel
    installs it (<prefix>/share/searchsvc/templates)."""
    candidates = [Path(__file__).resolve().parents[2] / "templates"]
    for prefix in (sys.prefix, site.getuserbase(), "/usr/local", "/usr"):
        candidates.append(Path(prefix) / "share" / "searchsvc" / "templates")
    for candidate in candidates:
        if (candidate / "base.html").is_file():
            return candidate
    raise RuntimeError("searchsvc's templates are missing; reinstall the package "
                       f"(looked in: {', '.join(map(str, candidates))})")


def _entries(setting) -> int:
    """RESULTS_CACHE: how many search results to keep for repeated searches (0: none)."""
    try:
        entries = int(setting)
    except (TypeError, ValueError):
        entries = -1
    if entries < 0:
        raise SettingError(f"SEARCHSVC_RESULTS_CACHE must be a whole number of results to "
                           f"keep, 0 or more (0: no cache), not {setting!r}")
    return entries
