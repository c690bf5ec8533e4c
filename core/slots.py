"""Queue slots as instants: a weekly schedule read in a zone, and the first free common slot.

Pure (no I/O): ``storage`` calls it inside the transaction that takes a slot, ``scheduler``
around it. A slot is a weekday (0 = Monday) and a local time of day. It is read in the zone on
each date separately, so a 9:00 slot is 9:00 local on both sides of a daylight-saving change.

A local time that does not exist (inside a spring-forward gap, e.g. 2:30 on the night clocks go
from 2:00 to 3:00) is read with the offset in force before the change: 2:30 becomes 3:30 new
time. A local time that happens twice (inside a fall-back overlap, e.g. 1:30 on the night clocks
go from 2:00 back to 1:00) is its first, earlier instant. Both follow ``fold=0`` (PEP 495).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead a queue looks for a free slot.
HORIZON = timedelta(weeks=8)


@dataclass(frozen=True, order=True)
class Slot:
    """One weekly slot: weekday (0 = Monday … 6 = Sunday) and local time of day."""

    weekday: int
    at: time
    # None: the workspace's slot; else the account's own.
    account_id: uuid.UUID | None = None


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at local ``at`` in ``zone`` as a UTC instant (gaps and overlaps: see above)."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    # Round-tripping through UTC moves a time in a gap forward by the gap's length.
    return local.astimezone(UTC)


def slots_for(account_id: uuid.UUID, slots: Iterable[Slot]) -> list[Slot]:
    """The account's own slots, else the workspace's (an account with its own uses only them)."""
    every = list(slots)
    own = [s for s in every if s.account_id == account_id]
    return own or [s for s in every if s.account_id is None]


def instants(
    weekly: Sequence[Slot], zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Every instant of ``weekly`` in [start, end), in order (UTC)."""
    out: set[datetime] = set()
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for slot in weekly:
            if slot.weekday == day.weekday():
                moment = instant(day, slot.at, zone)
                if start <= moment < end:
                    out.add(moment)
        day += timedelta(days=1)
    return sorted(out)


def first_free(
    account_ids: Sequence[uuid.UUID],
    slots: Iterable[Slot],
    zone: ZoneInfo,
    busy: Iterable[tuple[uuid.UUID, datetime]],
    start: datetime,
    end: datetime | None = None,
) -> datetime | None:
    """The earliest instant in [start, end) that is a slot of every account and free on each
    (no instant of ``busy`` for that account); None when there is none. ``end`` defaults to
    ``start`` plus the horizon."""
    every = list(slots)
    stop = end if end is not None else start + HORIZON
    taken: dict[uuid.UUID, set[datetime]] = {}
    for account, moment in busy:
        taken.setdefault(account, set()).add(moment.astimezone(UTC))
    common: set[datetime] | None = None
    for account in dict.fromkeys(account_ids):
        mine = set(instants(slots_for(account, every), zone, start, stop))
        mine -= taken.get(account, set())
        common = mine if common is None else common & mine
    return min(common) if common else None


def without_slots(account_ids: Sequence[uuid.UUID], slots: Iterable[Slot]) -> list[uuid.UUID]:
    """Those of ``account_ids`` that have no slots of their own or of the workspace."""
    every = list(slots)
    return [a for a in account_ids if not slots_for(a, every)]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends at."""
    return instant(day, time(0), zone), instant(day + timedelta(days=1), time(0), zone)


def grouped(slots: Iterable[Slot]) -> Mapping[uuid.UUID | None, list[Slot]]:
    """Slots by account (None: the workspace's), each list in weekday and time order."""
    out: dict[uuid.UUID | None, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: (s.weekday, s.at)):
        out.setdefault(slot.account_id, []).append(slot)
    return out


class NoFreeSlot(Exception):
    """No instant was free in every destination's queue (raised inside the create's
    transaction, so nothing is written)."""
