"""The date a page's article was published, as its publisher shows it: in the page's own
time zone. Machine-readable dates come first (JSON-LD, meta tags, <time datetime>); a date
shown on the page beats a UTC timestamp that falls on another day there; pages with neither
are left to htmldate, which also reads URLs and free text."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import htmldate
import lxml.html
from bs4 import Tag
from lxml.etree import ParserError

from .elements import attr, by_nearness
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
_SHOWN_TEXT_CHARS = 200
# lxml refuses them in text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class _Stamp:
    """A date as written, with what the writing says about its time zone."""

    date: datetime.date
    # "utc" (Z, +00:00, GMT), "floating" (a time without zone), or "local" (another offset,
    # or a date without a time: what the publisher shows)
    zone: str
    hour: int | None = None

    def shifts_to(self, shown: datetime.date) -> bool:
        """Whether the page's local date could be `shown` for this timestamp: the next or
        previous day, reachable with an offset between UTC-12 and UTC+14."""
        if self.zone == "local":
            return False
        if shown == self.date - datetime.timedelta(days=1):
            return self.hour is None or self.hour < 12
        if shown == self.date + datetime.timedelta(days=1):
            return self.hour is None or self.hour >= 10
        return False


def publication_date(page: PageMetadata, container: Tag | None,
                     text: str) -> datetime.date | None:
    """The publication date of the page whose decoded markup is `text`, and whose article is
    in `container` (None: anywhere); dates shown nearest the article count first."""
    declared = [stamp for stamp in map(_parse_stamp, _declared_values(page)) if stamp]
    shown = next(filter(None, (_parse_stamp(tag.get_text(" ", strip=True)[:_SHOWN_TEXT_CHARS])
                               for tag in by_nearness(page.dated, container))), None)
    if declared:
        # The page's own date: the one shown nearest the article, else the first timestamp
        # not written in UTC ("2019-11-18 20:58", "...T20:58-08:00").
        local = shown or next((stamp for stamp in declared[1:] if stamp.zone != "utc"), None)
        if local is not None and declared[0].shifts_to(local.date):
            return local.date
        return declared[0].date
    if shown is not None:
        return shown.date
    return _found_by_htmldate(text)


def _declared_values(page: PageMetadata) -> list[str]:
    """Machine-readable dates, most specific first."""
    values = [text_value(page.linked_data.get("datePublished")),
              page.meta.get("article:published_time")]
    values += [page.meta.get(key) for key in _OTHER_DATE_META_KEYS]
    values += [text_value(page.linked_data.get("dateCreated"))]
    values += _time_element_values(page.elements["time"])
    values += [attr(tag, "content") for tag in page.dated]
    return [value for value in values if value]


def _time_element_values(times: list[Tag]) -> list[str]:
    """datetime values of <time> elements, those marked as the publication time first."""
    marked, others = [], []
    for time in times:
        value = attr(time, "datetime")
        hint = f"{attr(time, 'itemprop')} {attr(time, 'class')}".lower()
        is_marked = "pubdate" in time.attrs or re.search("publish|pubdate|created", hint)
        (marked if is_marked else others).append(value)
    return marked + others


def _found_by_htmldate(text: str) -> datetime.date | None:
    """htmldate's reading of the page (URL, markup and text patterns), original date first.
    A January 1st is left out: htmldate gives it for a year alone ("© 2006")."""
    markup = _CONTROL_CHARACTERS.sub(" ", text).encode("utf-8", "replace")
    try:
        tree = lxml.html.document_fromstring(markup, parser=lxml.html.HTMLParser(encoding="utf-8"))
        found = htmldate.find_date(tree, original_date=True, extensive_search=True)
    except (ParserError, ValueError):
        return None
    try:
        date = datetime.date.fromisoformat(found) if found else None
    except ValueError:
        return None
    return None if date is None or (date.month, date.day) == (1, 1) else date


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
# The time after a date, and its zone: Z, an offset, or GMT/UTC.
_TIME_AND_ZONE = re.compile(
    r"^[T\s,]*(?:at\s+)?(\d{1,2}):\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:([ap])\.?m\.?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2}|GMT|UTC)?", re.IGNORECASE)


def _parse_stamp(value: str) -> _Stamp | None:
    """The calendar date written in a date string (ISO, RFC 2822 or English words), as
    written: in the publisher's time zone."""
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(value)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month = int(parts["m"]) if parts["m"].isdigit() else _MONTHS.get(parts["m"].lower())
            date = _make_date(int(parts["y"]), month, int(parts["d"]))
            if date:
                return _with_zone(date, value[match.end():])
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    offset = parsed.utcoffset()
    zone = "floating" if offset is None else "utc" if not offset else "local"
    return _Stamp(parsed.date(), zone, parsed.hour)


def _with_zone(date: datetime.date, rest: str) -> _Stamp:
    """The stamp of a date followed by `rest`: its time and zone, if written."""
    match = _TIME_AND_ZONE.match(rest)
    if not match:
        return _Stamp(date, "local")
    hour, half, zone = int(match.group(1)), (match.group(2) or "").lower(), \
        (match.group(3) or "").upper()
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if not zone:
        return _Stamp(date, "floating", hour)
    if zone in {"Z", "GMT", "UTC"} or not zone.strip("+-0:"):
        return _Stamp(date, "utc", hour)
    return _Stamp(date, "local", hour)


def _make_date(year: int, month: int | None, day: int) -> datetime.date | None:
    """A date if the parts form a plausible one."""
    if not month or not 1900 <= year <= 2200:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None
