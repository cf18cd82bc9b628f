"""Turn query-string parameters into a SearchRequest, with errors a user can act on."""

import datetime as dt

from werkzeug.datastructures import MultiDict

from ..errors import QueryError
from ..searching import SearchRequest


def search_request(args: MultiDict, default_per_page: int = 10) -> SearchRequest:
    return SearchRequest(
        q=args.get("q", ""),
        page=_integer(args, "page", 1),
        per_page=_integer(args, "per_page", default_per_page),
        sort=args.get("sort") or "relevance",
        source=args.get("source") or None,
        language=args.get("language") or None,
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
    ).validated()


def _integer(args: MultiDict, name: str, default: int) -> int:
    value = args.get(name)
    if value in (None, ""):
        return default
    if not value.isascii() or not value.strip().lstrip("+-").isdigit() or len(value) > 9:
        raise QueryError(f"{name} must be a whole number, not {value[:40]!r}")
    return int(value)


def _date(args: MultiDict, name: str) -> dt.date | None:
    value = args.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]) if len(value) <= 10 else _bad_date(name, value)
    except ValueError:
        return _bad_date(name, value)


def _bad_date(name: str, value: str):
    raise QueryError(f"{name} must be a date written YYYY-MM-DD, not {value[:40]!r}")
