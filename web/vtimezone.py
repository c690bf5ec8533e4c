"""RFC 5545 VTIMEZONE components from the IANA database, for events with a TZID.

A recurring post's RRULE counts hours in its own zone (BYHOUR=9 is 09:00 in Berlin summer
and winter), so its event carries ``DTSTART;TZID=…`` and the zone's definition. Each offset
change in the span is written as its own observance (no RRULE of ours to get wrong); past the
last one its offset holds, which is what the database says too when a zone stops changing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from scheduler.reader.zones import get_zone

STEP = timedelta(days=1)
_NOT_IN_TZID = re.compile(r"[^A-Za-z0-9/_+\-]")


def tzid(name: str) -> str:
    """A TZID for a post's zone name: IANA names as they are; "UTC+05:30" (a fixed offset the
    reader may store) without the colon, which a property parameter cannot hold unquoted."""
    return _NOT_IN_TZID.sub("", name) or "UTC"


def zone_of(name: str) -> tzinfo:
    """The zone a post's name stands for, as the reader resolves it."""
    return get_zone(name).tzinfo


def _offset(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}{seconds // 60 % 60:02d}"
    return text + (f"{seconds % 60:02d}" if seconds % 60 else "")


def _change_at(zone: tzinfo, before: datetime, after: datetime) -> datetime:
    """The first second in ``(before, after]`` whose offset is ``after``'s (bisection)."""
    target = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == target:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


def _observance(zone: tzinfo, at: datetime, previous: timedelta) -> list[str]:
    local = at.astimezone(zone)
    kind = "DAYLIGHT" if local.dst() else "STANDARD"
    offset = local.utcoffset() or timedelta(0)
    start = (at + previous).replace(tzinfo=None)  # in the wall time of the offset it ends
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
        f"TZOFFSETFROM:{_offset(previous)}",
        f"TZOFFSETTO:{_offset(offset)}",
        f"TZNAME:{local.tzname() or 'UTC'}",
        f"END:{kind}",
    ]


def vtimezone(name: str, start: datetime, end: datetime) -> list[str]:
    """The lines of a VTIMEZONE for ``name`` valid from ``start`` to ``end``."""
    zone = zone_of(name)
    moment = start.astimezone(UTC) - STEP
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid(name)}", *_observance(zone, moment, offset)]
    while moment < end:
        following = moment + STEP
        new = following.astimezone(zone).utcoffset() or timedelta(0)
        if new != offset:
            lines += _observance(zone, _change_at(zone, moment, following), offset)
            offset = new
        moment = following
    return [*lines, "END:VTIMEZONE"]
