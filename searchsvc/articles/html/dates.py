"""The date a page's article was published, as its publisher wrote it."""

from __future__ import annotations

import datetime
import re
from email.utils import parsedate_to_datetime

from bs4 import Tag

from .elements import attr
from .metadata import PageMetadata, text_value

# Meta names of publication dates, read after JSON-LD and article:published_time.
_OTHER_DATE_META_KEYS = (
    "article:published", "og:article:published_time",
    "og:published_time", "datepublished", "article.published", "published_time",
    "publishdate", "publish-date", "publish_date", "pubdate", "date", "dc.date",
    "dc.date.issued", "dc.date.created", "dcterms.date", "dcterms.issued",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "citation_publication_date",
    "citation_date", "prism.publicationdate", "datecreated",
)


def publication_date(page: PageMetadata) -> datetime.date | None:
    """The publication date from meta tags, JSON-LD, a <time> element or a dateline."""
    values = [text_value(page.linked_data.get("datePublished")),
              page.meta.get("article:published_time")]
    values += [page.meta.get(key) for key in _OTHER_DATE_META_KEYS]
    values += [text_value(page.linked_data.get("dateCreated"))]
    values += _time_element_values(page.elements["time"])
    values += [attr(tag, "content") or tag.get_text(" ", strip=True)[:200] for tag in page.dated]
    for value in values:
        date = _parse_date(value) if value else None
        if date:
            return date
    return None


def _time_element_values(times: list[Tag]) -> list[str]:
    """Values of <time> elements, those marked as the publication time first."""
    marked, others = [], []
    for time in times:
        value = attr(time, "datetime") or time.get_text(" ", strip=True)
        hint = f"{attr(time, 'itemprop')} {attr(time, 'class')}".lower()
        is_marked = "pubdate" in time.attrs or re.search("publish|pubdate|created", hint)
        (marked if is_marked else others).append(value)
    return marked + others


_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
_DATE_PATTERNS = (
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})(?:$|[T\s])"), "ymd"),
    (re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I), "mdy"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]{3,9})\.?,?\s+(\d{4})\b", re.I), "dmy"),
)


def _parse_date(value: str) -> datetime.date | None:
    """The calendar date written in a date string (ISO, RFC 2822 or English words).

    The date is taken as written, in the publisher's time zone.
    """
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(value)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month = int(parts["m"]) if parts["m"].isdigit() else _MONTHS.get(parts["m"].lower())
            date = _make_date(int(parts["y"]), month, int(parts["d"]))
            if date:
                return date
    try:
        return parsedate_to_datetime(value.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def _make_date(year: int, month: int | None, day: int) -> datetime.date | None:
    """A date if the parts form a plausible one."""
    if not month or not 1900 <= year <= 2200:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None
