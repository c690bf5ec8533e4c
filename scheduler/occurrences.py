"""A recurring post's occurrences: every one in a window, and the next one not skipped.

A series is its live row: the RRULE, counted from the row's own time (``dtstart``, which keeps
INTERVAL's phase), in the post's zone, minus the skipped instants (``exdates``). Occurrences
after the row's are "virtual": no row exists until the one before is published.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from scheduler.reader import next_occurrence
from scheduler.reader.zones import get_zone, place

# An hourly or minutely rule would fill a month with hundreds of chips: a window shows at most
# this many occurrences of one series (the month view shows a few per day anyway).
MAX_EXPANDED = 400
# Expansion starts three hours before the window (a DST fold's margin): a minutely rule has
# this many occurrences there before the first that can count.
PROBE_SLACK = 3 * 60 + 8


def occurrences(
    rule: str,
    *,
    tz: str,
    dtstart: datetime,
    start: datetime,
    end: datetime,
    exdates: Collection[datetime] = (),
    limit: int = MAX_EXPANDED,
) -> list[datetime]:
    """The occurrences in ``[start, end)`` from ``dtstart`` on, skipped ones left out.

    Expanded in wall time so BYHOUR keeps its local meaning across DST changes, as
    ``next_occurrence`` does.
    """
    zone = get_zone(tz).tzinfo
    first = dtstart.astimezone(zone).replace(tzinfo=None, microsecond=0)
    probe = start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
    skipped = set(exdates)
    found: list[datetime] = []
    expansion = rrulestr(rule, dtstart=first).xafter(max(probe, first), inc=True)
    for seen, wall in enumerate(expansion, 1):
        if seen > limit + len(skipped) + PROBE_SLACK:
            break
        at = place(wall.date(), time(wall.hour, wall.minute, wall.second), zone)
        if at >= end or len(found) >= limit:
            break
        if at >= start and at >= dtstart and at not in skipped:
            found.append(at)
    return found


def following(
    rule: str, *, tz: str, after: datetime, exdates: Collection[datetime] = ()
) -> datetime | None:
    """The first occurrence after ``after`` (an occurrence itself) that is not skipped."""
    skipped = set(exdates)
    when: datetime | None = after
    for _ in range(len(skipped) + 1):
        assert when is not None
        when = next_occurrence(rule, tz=tz, after=when, dtstart=after)
        if when is None or when not in skipped:
            return when
    return None


def is_occurrence(rule: str, *, tz: str, dtstart: datetime, at: datetime) -> bool:
    """Whether ``at`` is one of the series' occurrences from ``dtstart`` on."""
    return at in occurrences(
        rule, tz=tz, dtstart=dtstart, start=at, end=at + timedelta(seconds=1), limit=1
    )
