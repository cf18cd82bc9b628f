"""Read the publication dates news sources write, in the formats they write them."""

import datetime as dt
import email.utils
import re

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# "26-FEB-1987 15:01..." and "5 March 2004" at the start, whatever trails them.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[- ]([A-Za-z]{3,9})[- ,]+(\d{4})\b")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
)


def parse_date(value: object, zone: dt.tzinfo | None = None) -> dt.date | None:
    """The calendar date in `value` (ISO, RFC 2822, Reuters and common forms), or None. A
    time written with its offset (or a Unix time) counts in `zone` when one is given (the
    time zone of the articles' folder): 23:30 UTC is the next day in Tokyo. Without a
    zone, or for a time without an offset, the date is the one written (Unix times: UTC)."""
    if isinstance(value, dt.datetime):
        return _in_zone(value, zone).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, zone or dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if zone is not None:
        try:
            return _in_zone(dt.datetime.fromisoformat(text), zone).date()
        except ValueError:
            pass
    match = _ISO.match(text)
    if match:
        return _valid(*map(int, match.groups()))
    match = _DAY_MONTH_YEAR.match(text)
    if match and match.group(2)[:3].lower() in _MONTHS:
        day, month, year = match.groups()
        return _valid(int(year), _MONTHS[month[:3].lower()], int(day))
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _in_zone(parsed, zone).date() if parsed else None


def _in_zone(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """`moment` in `zone` when both say their time zone; as written otherwise."""
    if zone is None or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        return moment


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
