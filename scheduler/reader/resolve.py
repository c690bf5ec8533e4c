"""Turning what the rules understood into one aware instant and its grain."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from core.i18n import msg
from scheduler.reader.holidays import holiday_before, holiday_on_or_after
from scheduler.reader.state import State
from scheduler.reader.zones import place

# Default hours for a named part of the day, and for a date given without a time.
PART_HOURS = {
    "morning": 9,
    "early morning": 7,
    "lunch": 12,
    "afternoon": 15,
    "evening": 18,
    "tonight": 20,
    "night": 20,
    "late night": 22,
}
DEFAULT_HOUR = 9
_PM_PARTS = ("afternoon", "evening", "tonight", "night", "late night", "lunch")


def _shift(now: datetime, delta: tuple[float, int, int]) -> datetime:
    seconds, days, months = delta
    if seconds:
        return (now.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(now.tzinfo)
    moved = now.date() + relativedelta(days=days, months=months)
    return place(moved, now.timetz(), now.tzinfo or UTC)


def _holiday_date(st: State, today: date) -> date | None:
    assert st.holiday is not None
    fn, rel = st.holiday, st.holiday_rel
    if st.year is not None:
        d = fn(st.year)
    elif st.date is not None and st.grain == "year":
        d = fn(st.date.year)
    elif st.delta is not None:
        d = holiday_on_or_after(fn, _shift(st.now, st.delta).date())
        st.delta = None
    elif rel == "last":
        d = holiday_before(fn, today)
    else:
        d = holiday_on_or_after(fn, today + timedelta(days=1) if rel == "next" else today)
    return d + timedelta(days=st.holiday_days) if d else None


def _month_date(st: State, today: date) -> date | None:
    assert st.month is not None
    if st.day is None:
        if st.year is not None:
            y = st.year
        elif st.delta is not None:
            y = _shift(st.now, st.delta).year
            st.delta = None
        elif st.month_skip < 0:
            y = today.year - (st.month >= today.month)
        else:
            y = today.year + (st.month < today.month) + st.month_skip
        return date(y, st.month, 1)
    if st.year is not None:
        years = range(st.year, st.year + 1)
    elif st.weekday is not None:
        years = range(today.year, today.year + 29)
    else:
        years = range(today.year, today.year + 2)
    for y in years:
        try:
            d = date(y, st.month, st.day)
        except ValueError:
            continue
        if st.weekday is not None and d.weekday() != st.weekday and st.year is None:
            continue
        if st.year is None and st.weekday is None and d < today:
            continue
        return d
    return None


def _day_date(st: State, today: date) -> date | None:
    assert st.day is not None
    y, mo = today.year, today.month
    for _ in range(60 if st.weekday is not None else 3):
        try:
            d = date(y, mo, st.day)
        except ValueError:
            d = None
        if d and d >= today and (st.weekday is None or d.weekday() == st.weekday):
            return d
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return None


def _weekday_date(st: State, today: date, clock: time | None) -> date:
    assert st.weekday is not None
    if st.week_rel is not None:
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(weeks=st.week_rel, days=st.weekday)
    ahead = (st.weekday - today.weekday()) % 7
    if ahead == 0 and not st.wd_this:
        # "friday 17:00" said on a Friday morning means today; a bare "friday" the next one.
        later_today = clock is not None and place(today, clock, st.now.tzinfo or UTC) > st.now
        ahead = 0 if later_today else 7
    return today + timedelta(days=ahead)


def _hours(st: State, dated: bool) -> list[int]:
    """Candidate 24-hour values for the typed hour, best first."""
    assert st.hour is not None
    h, part = st.hour, st.part
    if st.ampm == "am":
        return [0 if h == 12 else h]
    if st.ampm == "pm":
        return [h if h == 12 else h + 12]
    if st.exact24:
        return [h]
    if part in _PM_PARTS:
        return [24 if h == 12 and part not in ("lunch", "afternoon") else h if h == 12 else h + 12]
    if part is not None:
        return [0 if h == 12 else h]
    if dated:
        # A day was named: read 7-11 as morning and 1-6 as afternoon (business hours).
        return [h + 12 if 1 <= h <= 6 else h]
    return [h, h + 12]


def _at(day: date, hour: int, st: State) -> datetime:
    day += timedelta(days=hour // 24)
    return place(day, time(hour % 24, st.minute, st.second), st.now.tzinfo or UTC)


def resolve(st: State) -> tuple[datetime, str] | None:
    """The instant and grain the state describes, or None when it names no time."""
    now, today = st.now, st.now.date()
    day: date | None = None
    if st.holiday is not None:
        day = _holiday_date(st, today)
        if day is None:
            return None
        st.grain = "day"
    elif st.wd_count is not None:
        n, wd = st.wd_count
        step = 1 if n > 0 else -1
        day = today
        count = 0
        while count < abs(n):
            day += timedelta(days=step)
            count += day.weekday() == wd
    if day is None and st.month is not None:
        day = _month_date(st, today)  # may consume the offset ("march in a year")
    if st.delta is not None:
        moved = _shift(now, st.delta)
        only_today = st.day_offset == 0 and st.date is None and st.weekday is None
        if st.hour is None and day is None and (not st.has_date() or only_today):
            return moved, st.delta_grain
        day, now = moved.date(), moved
    clock = time(st.hour % 24, st.minute, st.second) if st.hour is not None else None
    grain = st.grain
    if day is not None:
        pass
    elif st.date is not None:
        day = st.date
    elif st.day is not None:
        day = _day_date(st, today)
    elif st.weekday is not None:
        day = _weekday_date(st, today, clock)
    elif st.day_offset is not None:
        day = today + timedelta(days=st.day_offset)
    elif st.year is not None:
        day, grain = date(st.year, 1, 1), grain or "year"
    if st.date is None and st.month is not None and st.day is None:
        grain = grain or "month"
    if day is None and (st.has_date() and not st.now_anchor):
        return None
    if st.hour is not None:
        grain = (
            "second"
            if st.second
            else ("minute" if st.minute or st.exact24 or st.minute_written else "hour")
        )
        hours = _hours(st, day is not None)
        if day is not None:
            return _at(day, hours[0], st), grain
        options = sorted(_at(today + timedelta(days=k), h, st) for k in (0, 1) for h in hours)
        # A bare time already past today means its next occurrence.
        # Less than a minute ago stays (and is questioned by the caller) rather than rolling.
        recent = now - timedelta(seconds=60)
        chosen = next((o for o in options if o >= recent), options[-1])
        if chosen.date() != today and chosen.time() != time(0):
            # Midnight is the end of today; any other time moved to tomorrow could post a day
            # late without the user knowing: ask instead.
            st.problems.append(msg(
                '{time} today has already passed. Write "tomorrow {time}" to post then, or '
                "pick a later time today", time=f"{chosen:%H:%M}",
            ))  # fmt: skip
        return chosen, grain
    if st.part is not None:
        return _at(day or today, PART_HOURS[st.part], st), "hour"
    if day is not None:
        return _at(day, DEFAULT_HOUR, st), grain or "day"
    if st.now_anchor:
        return now, "second"
    return None
