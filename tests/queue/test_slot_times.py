"""Slot instants across daylight-saving changes, gaps and overlaps; the slot command's words."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.errors import RequestProblem
from core.slots import Slot, first_free, instant, instants
from scheduler.slots import parse_slots, split_accounts

NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
A, B = uuid.uuid4(), uuid.uuid4()
WEEKDAYS_9 = [Slot(d, time(9)) for d in range(5)]


def test_nine_oclock_stays_nine_across_the_change() -> None:
    start = datetime(2027, 3, 11, tzinfo=UTC)  # Thursday; New York springs forward on the 14th
    found = instants(WEEKDAYS_9, NY, start, datetime(2027, 3, 17, tzinfo=UTC))
    assert [m.astimezone(NY).strftime("%a %H:%M %Z") for m in found] == [
        "Thu 09:00 EST", "Fri 09:00 EST", "Mon 09:00 EDT", "Tue 09:00 EDT",
    ]  # fmt: skip
    assert [m.hour for m in found] == [14, 14, 13, 13]


def test_a_slot_in_the_gap_takes_the_old_offset_and_one_in_the_overlap_the_first() -> None:
    gap = instant(date(2027, 3, 28), time(2, 30), BERLIN)
    assert gap == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 CET, shown as 03:30 CEST
    assert gap.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    overlap = instant(date(2027, 10, 31), time(2, 30), BERLIN)
    assert overlap == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)


def test_first_free_is_common_and_skips_taken_instants() -> None:
    start = datetime(2027, 3, 11, tzinfo=UTC)
    slots = [*WEEKDAYS_9, Slot(4, time(9), B), Slot(0, time(9), B)]  # B: only Mon, Fri 9:00
    friday = datetime(2027, 3, 12, 14, tzinfo=UTC)
    assert first_free([A], slots, NY, [], start) == datetime(2027, 3, 11, 14, tzinfo=UTC)
    assert first_free([A, B], slots, NY, [], start) == friday
    monday = datetime(2027, 3, 15, 13, tzinfo=UTC)
    assert first_free([A, B], slots, NY, [(A, friday)], start) == monday
    assert first_free([A], [Slot(0, time(9), B)], NY, [], start) is None


def test_slot_words() -> None:
    assert parse_slots("mon-fri 9:00, 13:00") == sorted(
        Slot(d, t) for d in range(5) for t in (time(9), time(13))
    )
    assert parse_slots("sat 11am sun 1:30pm") == [Slot(5, time(11)), Slot(6, time(13, 30))]
    assert parse_slots("mon, wed 9:00") == [Slot(0, time(9)), Slot(2, time(9))]
    assert parse_slots("fri-mon 9") == [Slot(d, time(9)) for d in (0, 4, 5, 6)]
    assert split_accounts("linkedin, x mon-fri 9:00") == (["linkedin", "x"], "mon-fri 9:00")
    assert split_accounts("linkedin clear") == (["linkedin"], "clear")
    assert split_accounts("weekdays 9:00") == ([], "weekdays 9:00")
    for bad in ("9:00", "mon 25:00", "mon soon"):
        with pytest.raises(RequestProblem):
            parse_slots(bad)
