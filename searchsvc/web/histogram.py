"""The results' dates as bars: the "month" facet counts laid out for an inline SVG drawn on
the server (no script, no inline style: geometry goes in presentation attributes)."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..searching import FacetCount

WIDTH, HEIGHT, GAP = 600, 120, 1
MAX_MONTH_BARS = 120  # longer spans are drawn as one bar per year
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
    unit: str  # "month" or "year"
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def max_count(self) -> int:
        return max(bar.count for bar in self.bars)

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


def date_histogram(months: list[FacetCount]) -> Histogram | None:
    """Bars for every month (or year) from the first to the last counted one, empty ones
    included so the time axis is even; None when no result has a date."""
    counts: dict[tuple[int, int], int] = {}
    for facet in months:
        match = _MONTH.match(facet.value)
        if match and 1 <= int(match.group(2)) <= 12:
            counts[(int(match.group(1)), int(match.group(2)))] = facet.count
    if not counts:
        return None
    first, last = min(counts), max(counts)
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    if span > MAX_MONTH_BARS:
        slots = [(year, None) for year in range(first[0], last[0] + 1)]
        per_slot = {slot: 0 for slot in slots}
        for (year, _), count in counts.items():
            per_slot[(year, None)] += count
        unit = "year"
    else:
        slots = [divmod(first[0] * 12 + first[1] - 1 + i, 12) for i in range(span)]
        slots = [(year, month + 1) for year, month in slots]
        per_slot = {slot: counts.get(slot, 0) for slot in slots}
        unit = "month"
    tallest = max(per_slot.values())
    slot_width = WIDTH / len(slots)
    bars = []
    for index, (year, month) in enumerate(slots):
        count = per_slot[(year, month)]
        height = round((HEIGHT - 1) * count / tallest, 2) if count else 0
        if month is None:
            label, start, end = str(year), dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            label = f"{calendar.month_abbr[month]} {year}"
            start = dt.date(year, month, 1)
            end = dt.date(year, month, calendar.monthrange(year, month)[1])
        bars.append(Bar(label=label, count=count, date_from=start, date_to=end,
                        x=round(index * slot_width, 2), y=round(HEIGHT - height, 2),
                        width=round(max(slot_width - GAP, 0.5), 2), height=height))
    return Histogram(bars=bars, unit=unit)
