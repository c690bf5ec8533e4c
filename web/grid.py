"""Periods the calendar shows (month, week, list) as local dates, and their UTC bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import RequestProblem
from core.limits import MAX_AHEAD, MAX_AHEAD_WORDS
from scheduler.views import CalendarItem

VIEWS = ("month", "week", "list")
MONTH_PER_DAY = 4
WEEK_PER_DAY = 40
LIST_PAGE = 100
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EARLIEST = date(1970, 1, 1)


@dataclass(frozen=True)
class Period:
    """What one page shows: its local days, title and neighbours."""

    view: str
    first: date
    last: date
    title: str
    prev: str
    next: str
    month: str

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """UTC instants of local midnight before ``first`` and after ``last``."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone)
        return start, end.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_month(value: str, today: date) -> date:
    """``2026-12`` into its first day; empty means this month."""
    if not value:
        return today.replace(day=1)
    found = _MONTH.match(value)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1970:
        raise RequestProblem([f"“{value}” is not a month."], "Use a month like 2026-12.")
    return date(int(found.group(1)), int(found.group(2)), 1)


def parse_day(value: str, today: date) -> date:
    """``2026-12-03`` into a date; empty means today."""
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RequestProblem([f"“{value}” is not a date."], "Use a date like 2026-12-03.") from None


def _shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _within(shown: date, today: date, asked: str) -> date:
    """``shown`` when the calendar reaches it: from 1970 to the shared horizon ahead."""
    if not EARLIEST <= shown <= today + MAX_AHEAD:
        raise RequestProblem(
            [f"“{asked}” is outside the calendar."],
            f"The calendar shows 1970 to {MAX_AHEAD_WORDS} ahead; pick a date in between.",
        )
    return shown


def period(view: str, month: str, day: str, today: date) -> Period:
    """The period a query string asks for."""
    if view not in VIEWS:
        raise RequestProblem([f"“{view}” is not a view."], "Use view=month, week or list.")
    if view == "week":
        monday = _within(parse_day(day, today), today, day)
        monday -= timedelta(days=monday.weekday())
        sunday = monday + timedelta(days=6)
        return Period(
            view,
            monday,
            sunday,
            f"Week of {monday:%d %b %Y}",
            (monday - timedelta(days=7)).isoformat(),
            (monday + timedelta(days=7)).isoformat(),
            f"{monday:%Y-%m}",
        )
    first = _within(parse_month(month, today), today, month)
    following = _shift_month(first, 1)
    last = following - timedelta(days=1)
    prev, nxt = f"{_shift_month(first, -1):%Y-%m}", f"{following:%Y-%m}"
    if view == "list":
        return Period(view, first, last, f"{first:%B %Y}", prev, nxt, f"{first:%Y-%m}")
    grid_first = first - timedelta(days=first.weekday())
    grid_last = last + timedelta(days=6 - last.weekday())
    return Period(view, grid_first, grid_last, f"{first:%B %Y}", prev, nxt, f"{first:%Y-%m}")


@dataclass
class Day:
    """One cell: its posts (the first few) and how many there are in all."""

    date: date
    items: list[CalendarItem]
    total: int = 0
    failed: int = 0
    # Empty queue slots (the week view's placeholders): instant and the accounts it is for.
    slots: list[tuple[datetime, list[str]]] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    def timeline(self) -> list[tuple[CalendarItem | None, datetime, list[str]]]:
        """Posts and empty slots in time order: (post, at, []) or (None, at, accounts)."""
        entries: list[tuple[CalendarItem | None, datetime, list[str]]] = [
            (item, item.scheduled_at, []) for item in self.items
        ]
        entries.extend((None, at, names) for at, names in self.slots)
        return sorted(entries, key=lambda entry: entry[1])


def by_day(period: Period, items: list[CalendarItem]) -> list[Day]:
    """Cells for every day of the period, in order."""
    cells = {d: Day(d, []) for d in period.days()}
    for item in items:
        cell = cells.get(item.day)
        if cell is None:
            continue
        cell.items.append(item)
        cell.total, cell.failed = item.day_total, item.day_failed
    return list(cells.values())


def with_slots(days: list[Day], free: dict[datetime, list[str]], tz: str) -> None:
    """Put each empty slot on its local day."""
    cells = {d.date: d for d in days}
    zone = ZoneInfo(tz)
    for at, names in free.items():
        cell = cells.get(at.astimezone(zone).date())
        if cell is not None:
            cell.slots.append((at, names))


def weeks(days: list[Day]) -> list[list[Day]]:
    return [days[i : i + 7] for i in range(0, len(days), 7)]
