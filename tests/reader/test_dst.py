"""DST: gaps shift forward, folds take the first occurrence, recurrences keep wall time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.reader import next_occurrence, parse_time, read_request
from tests.reader.conftest import BERLIN, NEW_YORK, at


@pytest.mark.parametrize(
    ("tz", "now", "phrase", "expected_utc"),
    [
        # Berlin springs forward 2026-03-29 02:00 -> 03:00: 02:30 becomes 03:30 CEST.
        ("Europe/Berlin", at(2026, 3, 28, 12, 0), "tomorrow 2:30am", "2026-03-29T01:30:00"),
        # New York springs forward 2026-03-08 02:00 -> 03:00.
        (
            "America/New_York",
            at(2026, 3, 7, 12, 0, tz=NEW_YORK),
            "tomorrow 2:30am",
            "2026-03-08T07:30:00",
        ),
    ],
)
def test_gap_shifts_forward(tz: str, now: datetime, phrase: str, expected_utc: str) -> None:
    r = parse_time(phrase, now=now, tz=tz)
    assert r is not None
    assert r.when.astimezone(UTC).replace(tzinfo=None).isoformat() == expected_utc
    assert (r.when.hour, r.when.minute) == (3, 30)


@pytest.mark.parametrize(
    ("tz", "now", "phrase", "expected_utc"),
    [
        # Berlin falls back 2026-10-25 03:00 -> 02:00: 02:30 first happens at 00:30 UTC.
        ("Europe/Berlin", at(2026, 10, 24, 12, 0), "tomorrow 2:30am", "2026-10-25T00:30:00"),
        # New York falls back 2026-11-01 02:00 -> 01:00: 01:30 EDT is 05:30 UTC.
        (
            "America/New_York",
            at(2026, 10, 31, 12, 0, tz=NEW_YORK),
            "tomorrow 1:30am",
            "2026-11-01T05:30:00",
        ),
    ],
)
def test_fold_takes_first_occurrence(
    tz: str, now: datetime, phrase: str, expected_utc: str
) -> None:
    r = parse_time(phrase, now=now, tz=tz)
    assert r is not None
    assert r.when.astimezone(UTC).replace(tzinfo=None).isoformat() == expected_utc


def test_relative_days_keep_wall_time_across_dst() -> None:
    r = parse_time("in 2 days", now=at(2026, 3, 28, 10, 0), tz="Europe/Berlin")
    assert r is not None
    assert (r.when.day, r.when.hour) == (30, 10)
    hours = parse_time("in 24 hours", now=at(2026, 3, 28, 10, 0), tz="Europe/Berlin")
    assert hours is not None
    assert (hours.when.day, hours.when.hour) == (29, 11)


@pytest.mark.parametrize(
    ("tz", "zone"), [("Europe/Berlin", BERLIN), ("America/New_York", NEW_YORK)]
)
def test_weekly_recurrence_keeps_local_time_for_a_year(tz: str, zone: ZoneInfo) -> None:
    rule = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    after = datetime(2026, 1, 1, tzinfo=zone)
    seen = []
    while True:
        nxt = next_occurrence(rule, tz=tz, after=after)
        assert nxt is not None
        if nxt.year > 2026:
            break
        local = nxt.astimezone(zone)
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
        seen.append(local)
        after = nxt
    assert len(seen) in (52, 53)
    offsets = {s.utcoffset() for s in seen}
    assert len(offsets) == 2  # both sides of DST, same wall time
    assert all(
        b - a in (timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=7, hours=-1))
        for a, b in itertools.pairwise(seen)
    )


def test_daily_recurrence_in_a_gap_shifts_forward() -> None:
    rule = "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0"
    nxt = next_occurrence(rule, tz="Europe/Berlin", after=at(2026, 3, 28, 12, 0))
    assert nxt is not None
    assert nxt.astimezone(BERLIN).isoformat() == "2026-03-29T03:30:00+02:00"


def test_every_monday_request_across_march_change() -> None:
    r = read_request(
        "every monday at 9:00 to linkedin: tip", now=at(2026, 3, 24, 10, 0), tz="Europe/Berlin"
    )
    assert r.when is not None
    assert r.recurrence is not None
    assert r.when.isoformat() == "2026-03-30T09:00:00+02:00"
    before = next_occurrence(r.recurrence, tz="Europe/Berlin", after=at(2026, 3, 20, 10, 0))
    assert before is not None
    assert before.isoformat() == "2026-03-23T09:00:00+01:00"


def test_interval_counts_from_dtstart() -> None:
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start = at(2026, 12, 4, 9, 0)
    nxt = next_occurrence(rule, tz="Europe/Berlin", after=start, dtstart=start)
    assert nxt == at(2026, 12, 18, 9, 0)
