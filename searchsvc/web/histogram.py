"""The results' dates as bars: the "month" (or, over a short span, "day") facet counts laid
out for an inline SVG drawn on the server (no script, no inline style: geometry goes in
presentation attributes)."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..searching import FacetCount

WIDTH, HEIGHT, GAP = 600, 120, 1
MAX_MONTH_BARS = 120  # longer spans are drawn as one bar per year
MAX_DAY_BARS = 62  # spans of a month or two are drawn by the day
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    date_from: dt.date
    date_to: dt.date
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Histogram:
    bars: list[Bar]
    unit: str  # "day", "month" or "year"
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def max_count(self) -> int:
        return max(bar.count for bar in self.bars)

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


def date_histogram(months: list[FacetCount], days: list[FacetCount] = (),
                   date_from: dt.date | None = None,
                   date_to: dt.date | None = None) -> Histogram | None:
    """Bars for every slot (month, or year over long spans) from the first to the last
    counted one, empty ones included so the time axis is even; by the day when the results
    span a month or two (`days` given), over the filter's dates or the whole months of the
    results. None when no result has a date."""
    if days:
        return _by_day(days, date_from, date_to)
    counts: dict[tuple[int, int], int] = {}
    for facet in months:
        match = _MONTH.match(facet.value or "")
        if match and 1 <= int(match.group(2)) <= 12:
            counts[(int(match.group(1)), int(match.group(2)))] = facet.count
    if not counts:
        return None
    first, last = min(counts), max(counts)
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    slots: list[tuple[str, dt.date, dt.date, int]] = []
    if span > MAX_MONTH_BARS:
        for year in range(first[0], last[0] + 1):
            count = sum(n for (y, _), n in counts.items() if y == year)
            slots.append((str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), count))
        return _bars(slots, "year")
    for i in range(span):
        year, month = divmod(first[0] * 12 + first[1] - 1 + i, 12)
        month += 1
        slots.append((f"{calendar.month_abbr[month]} {year}", dt.date(year, month, 1),
                      _month_end(dt.date(year, month, 1)), counts.get((year, month), 0)))
    return _bars(slots, "month")


def _by_day(days: list[FacetCount], date_from: dt.date | None,
            date_to: dt.date | None) -> Histogram:
    counts = {dt.date.fromisoformat(facet.value): facet.count for facet in days}
    first, last = min(counts), max(counts)
    start = date_from if date_from and (last - date_from).days < MAX_DAY_BARS else \
        first.replace(day=1)
    end = date_to if date_to and (date_to - start).days < MAX_DAY_BARS else _month_end(last)
    if (end - start).days >= MAX_DAY_BARS:
        start, end = first, last
    slots = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        slots.append((f"{day.day} {calendar.month_abbr[day.month]} {day.year}", day, day,
                      counts.get(day, 0)))
    return _bars(slots, "day")


def _bars(slots: list[tuple[str, dt.date, dt.date, int]], unit: str) -> Histogram:
    tallest = max(count for *_, count in slots)
    slot_width = WIDTH / len(slots)
    bars = []
    for index, (label, start, end, count) in enumerate(slots):
        height = round((HEIGHT - 1) * count / tallest, 2) if count else 0
        bars.append(Bar(label=label, count=count, date_from=start, date_to=end,
                        x=round(index * slot_width, 2), y=round(HEIGHT - height, 2),
                        width=round(max(slot_width - GAP, 0.5), 2), height=height))
    return Histogram(bars=bars, unit=unit)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
