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


def parse_date(value: object) -> dt.date | None:
    """The calendar date in `value` (ISO, RFC 2822, Reuters and common forms), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
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
    return parsed.date() if parsed else None


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
