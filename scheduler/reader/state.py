"""What the rules understood from a phrase, before it is resolved to an instant."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from scheduler.reader.holidays import HolidayFn
from scheduler.reader.zones import Zone


@dataclass
class State:
    """Pieces of a time phrase; ``now`` is local to the zone the phrase is read in."""

    now: datetime
    year: int | None = None
    month: int | None = None
    day: int | None = None
    month_skip: int = 0  # "march after next": skip this many matching months
    weekday: int | None = None
    week_rel: int | None = None  # weekday of this (0), next (1) or last (-1) week
    wd_this: bool = False  # "this friday": today counts
    wd_count: tuple[int, int] | None = None  # "3 fridays from now": (signed count, weekday)
    date: date | None = None
    day_offset: int | None = None
    hour: int | None = None
    minute: int = 0
    minute_written: bool = False
    second: int = 0
    ampm: str | None = None
    exact24: bool = False
    part: str | None = None
    delta: tuple[float, int, int] | None = None  # (absolute seconds, wall days, months)
    delta_grain: str = "second"
    grain: str | None = None
    zone: Zone | None = None
    now_anchor: bool = False
    holiday: HolidayFn | None = None
    holiday_rel: str | None = None
    holiday_days: int = 0
    weak: bool = False
    problems: list[str] = field(default_factory=list)
    recurrence: str | None = None

    def has_date(self) -> bool:
        """Whether any date piece was read."""
        return (
            self.date is not None
            or self.month is not None
            or self.day is not None
            or self.weekday is not None
            or self.day_offset is not None
            or self.holiday is not None
            or self.wd_count is not None
            or self.year is not None
        )

    def found(self) -> bool:
        """Whether anything at all was read."""
        return (
            self.has_date()
            or self.hour is not None
            or self.part is not None
            or self.delta is not None
            or self.now_anchor
            or self.grain is not None
        )


Handler = Callable[[State, re.Match[str]], bool]
Rule = tuple[re.Pattern[str], Handler]


def apply_rules(st: State, text: str, rules: tuple[Rule, ...]) -> str:
    """Run every rule over the text; a rule's match is blanked out when its handler takes it."""
    for pattern, handler in rules:
        if pattern.search(text) is None:
            continue

        def repl(m: re.Match[str], handler: Handler = handler) -> str:
            return " | " if handler(st, m) else m.group(0)

        text = pattern.sub(repl, text)
    return text


def num(value: str | None, default: int = 0) -> int:
    """int() that treats None as ``default``."""
    return int(value) if value else default
