"""One place that turns errors into responses: JSON under /api/, an HTML page elsewhere."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import ArticleNotFound, IndexMissing, QueryError, SearchsvcError, ShardUnavailable

STATUS = {QueryError: (400, "bad_query"), ArticleNotFound: (404, "not_found"),
          IndexMissing: (503, "index_unavailable"), ShardUnavailable: (503, "shard_unavailable")}
KEPT_HEADERS = ("Allow", "Retry-After")


def error_response(status: int, code: str, message: str):
    if request.path.startswith("/api/") or request.path == "/healthz":
        response = jsonify({"error": {"code": code, "message": message}})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def register(app) -> None:
    @app.errorhandler(SearchsvcError)
    def handle_searchsvc_error(exc):
        status, code = STATUS.get(type(exc), (400, "bad_request"))
        return error_response(status, code, str(exc))

    @app.errorhandler(HTTPException)
    def handle_http_error(exc):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = app.make_response(error_response(exc.code or 500, code,
                                                     exc.description or exc.name))
        for name, value in exc.get_headers():
            if name in KEPT_HEADERS:
                response.headers[name] = value
        return response
