"""Every matching row, page by page, as CSV for spreadsheets: the API's `format=csv` (cut at
EXPORT_ROWS) and `searchsvc export` (no cut) read the same pages of `SearchIndex.search` and
write the same rows."""

import csv
import dataclasses
import html
import io
import re
from collections.abc import Callable, Iterable, Iterator

from ..searching import Hit, Results, SearchIndex, SearchRequest

EXPORT_PAGE_SIZE = 100
CSV_COLUMNS = ("id", "title", "date", "source", "language", "url", "score", "similar",
               "article_page", "snippet")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only after one; other readers skip it
_MARK = re.compile("</?mark>")


def export_pages(index: SearchIndex, asked: SearchRequest, rows: int | None
                 ) -> Iterator[Results]:
    """The pages that together hold every matching row (up to `rows`; None: all), in the
    order asked for, each searched when the one before has been consumed. `page` and
    `per_page` of `asked` do not apply; the first page is searched on the first `next()`, so
    a bad query fails there."""
    first = dataclasses.replace(asked, page=1, per_page=EXPORT_PAGE_SIZE, window=rows)
    page = 1
    while True:
        results = index.search(dataclasses.replace(first, page=page))
        yield results
        if len(results.hits) < EXPORT_PAGE_SIZE or (rows is not None
                                                    and page * EXPORT_PAGE_SIZE >= rows):
            return
        page += 1


def csv_chunks(pages: Iterable[Results], article_page: Callable[[str], str],
               note: str | None = None) -> Iterator[str]:
    """CSV text, a chunk per page: a byte order mark and the header first, and `note` (why
    rows are missing) as a last line of its own when given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    for results in pages:
        for hit in results.hits:
            writer.writerow(csv_row(hit, article_page(hit.id)))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if note:
        writer.writerow([note])
        yield buffer.getvalue()


def csv_row(hit: Hit, article_page: str) -> list:
    """One CSV line; text that a spreadsheet would run as a formula gets a leading quote."""
    return [_spreadsheet_safe(hit.id), _spreadsheet_safe(hit.title), _iso(hit.date),
            _spreadsheet_safe(hit.source or ""), hit.language, _spreadsheet_safe(hit.url or ""),
            hit.score, hit.similar, _spreadsheet_safe(article_page),
            _spreadsheet_safe(plain_snippet(hit.snippet))]


def plain_snippet(snippet_html: str) -> str:
    """The snippet as plain text on one line, as a page shows it: it is escaped text with
    <mark> around matches, nothing else, so dropping the marks and unescaping gives the
    article's words back (with the line breaks between its paragraphs, made spaces)."""
    return " ".join(html.unescape(_MARK.sub("", snippet_html)).split())


def cut_note(total: int, rows: int) -> str:
    return (f"# Cut at {rows:,} of {total:,} results: the site exports at most {rows:,} rows. "
            "Narrow the query or the filters, or run `searchsvc export` for every row.")


def _spreadsheet_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(value):
    return value.isoformat() if value else None
