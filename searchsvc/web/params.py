"""Turn query-string parameters into a SearchRequest, with errors a user can act on."""

import dataclasses
import datetime as dt
import re

from werkzeug.datastructures import MultiDict

from ..errors import QueryError
from ..searching import MAX_RESULT_WINDOW, SearchRequest

EXPORT_ROWS = MAX_RESULT_WINDOW  # rows the site's CSV export holds at most
FEED_ENTRIES = 20
SUGGEST_LIMIT = (8, 20)  # (default, maximum)
RELATED_LIMIT = (5, 20)
MAX_ARTICLE_ID_CHARS = 1024
MAX_FILTER_CHARS = {"source": 200, "language": 20, "story": MAX_ARTICLE_ID_CHARS}
# The HTTP server's limit on the request line (method, path and query string). It holds the
# longest request the API describes, in any script: a character can take 12 bytes once
# UTF-8 encoded and percent-escaped, so a 1,000-character query alone can take 12,000 bytes,
# and an article page's id and query 24,300 (tests/test_openapi.py adds them up).
MAX_REQUEST_LINE_BYTES = 32 * 1024
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# What an article page keeps of the search it was opened from. Not `story`: an article id
# more would not fit the request line (see MAX_REQUEST_LINE_BYTES) beside the article's own.
RESULTS_PARAMS = ("q", "source", "language", "from", "to", "sort", "page", "per_page")


def search_request(args: MultiDict, default_per_page: int = 10,
                   query_required: bool = True) -> SearchRequest:
    return SearchRequest(
        q=args.get("q", ""),
        page=_integer(args, "page", 1),
        per_page=_integer(args, "per_page", default_per_page),
        sort=args.get("sort") or "relevance",
        source=_text(args, "source"),
        language=_text(args, "language"),
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        story=_text(args, "story"),
    ).validated(query_required)


def results_context(args: MultiDict) -> dict[str, str]:
    """The search an article page was opened from (query, filters, sort, page), checked as a
    search's parameters are (QueryError for a bad one), its empty parameters left out: the
    page links back to those results and marks the query's words."""
    kept = {name: value for name, value in args.items() if name in RESULTS_PARAMS and value}
    search_request(MultiDict(kept), query_required=False)
    return kept


def feed_request(args: MultiDict) -> SearchRequest:
    """The newest FEED_ENTRIES matches of the query and filters in `args`."""
    kept = MultiDict([(k, v) for k, v in args.items(multi=True)
                      if k not in ("page", "per_page", "sort")])
    return dataclasses.replace(search_request(kept, FEED_ENTRIES), sort="newest").validated()


def integer_param(args: MultiDict, name: str, default: int, maximum: int) -> int:
    """A whole number between 1 and `maximum`, or `default` when absent or empty."""
    value = _integer(args, name, default)
    if not 1 <= value <= maximum:
        raise QueryError(f"{name} must be between 1 and {maximum}")
    return value


def choice_param(args: MultiDict, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; the first when absent or empty."""
    value = args.get(name) or choices[0]
    if value not in choices:
        raise QueryError(f"{name} must be one of: {', '.join(choices)}")
    return value


def _integer(args: MultiDict, name: str, default: int) -> int:
    """A whole number; `default` when absent or empty (browsers fill OpenSearch's optional
    `{startPage?}` with nothing, and HTML forms send empty fields)."""
    value = args.get(name)
    if not value:
        return default
    if not value.isascii() or not value.strip().lstrip("+-").isdigit() or len(value) > 9:
        raise QueryError(f"{name} must be a whole number, not {value[:40]!r}")
    return int(value)


def _text(args: MultiDict, name: str) -> str | None:
    """A filter value; empty means no filter (an HTML form sends empty fields)."""
    value = args.get(name) or None
    if value is not None and len(value) > MAX_FILTER_CHARS[name]:
        raise QueryError(f"{name} is {len(value)} characters long; "
                         f"the limit is {MAX_FILTER_CHARS[name]}")
    return value


def _date(args: MultiDict, name: str) -> dt.date | None:
    """A YYYY-MM-DD day; empty means no bound (an HTML form sends empty fields)."""
    value = args.get(name)
    if not value:
        return None
    try:
        if _ISO_DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise QueryError(f"{name} must be a date written YYYY-MM-DD, not {value[:40]!r}")
