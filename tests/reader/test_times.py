"""Time phrases named in the brief, read at Saturday 2026-11-28 10:00 Europe/Berlin."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from scheduler.reader import parse_time
from tests.reader.conftest import NOW, TZ, at

CASES: list[tuple[str, datetime, str]] = [
    ("2026-12-03 10:30", at(2026, 12, 3, 10, 30), "minute"),
    ("dec 3 10:30", at(2026, 12, 3, 10, 30), "minute"),
    ("3 dec", at(2026, 12, 3, 9, 0), "day"),
    ("december 3rd at 5pm", at(2026, 12, 3, 17, 0), "hour"),
    ("12/25", at(2026, 12, 25, 9, 0), "day"),
    ("25/12", at(2026, 12, 25, 9, 0), "day"),
    ("17:00", at(2026, 11, 28, 17, 0), "minute"),
    ("5pm", at(2026, 11, 28, 17, 0), "hour"),
    ("5:30 pm", at(2026, 11, 28, 17, 30), "minute"),
    ("noon", at(2026, 11, 28, 12, 0), "minute"),
    ("midnight", at(2026, 11, 29, 0, 0), "minute"),
    ("in 90 minutes", at(2026, 11, 28, 11, 30), "minute"),
    ("in 2 days", at(2026, 11, 30, 10, 0), "day"),
    ("in an hour", at(2026, 11, 28, 11, 0), "minute"),
    ("in 1h30", at(2026, 11, 28, 11, 30), "minute"),
    ("friday", at(2026, 12, 4, 9, 0), "day"),
    ("next monday at 10", at(2026, 11, 30, 10, 0), "hour"),
    ("this friday noon", at(2026, 12, 4, 12, 0), "minute"),
    ("thursday at 9", at(2026, 12, 3, 9, 0), "hour"),
    ("tonight", at(2026, 11, 28, 20, 0), "hour"),
    ("tomorrow morning", at(2026, 11, 29, 9, 0), "hour"),
    ("this evening", at(2026, 11, 28, 18, 0), "hour"),
    ("tomorrow afternoon", at(2026, 11, 29, 15, 0), "hour"),
    ("now", NOW, "second"),
    ("the 3rd at 5pm", at(2026, 12, 3, 17, 0), "hour"),
    ("tomorrow at 9", at(2026, 11, 29, 9, 0), "hour"),
    ("at 8", at(2026, 11, 28, 20, 0), "hour"),
    ("next week", at(2026, 11, 30, 9, 0), "week"),
    ("new year's eve", at(2026, 12, 31, 9, 0), "day"),
    ("new year's day", at(2027, 1, 1, 9, 0), "day"),
    ("valentine's day", at(2027, 2, 14, 9, 0), "day"),
    ("st patrick's day", at(2027, 3, 17, 9, 0), "day"),
    ("easter", at(2027, 3, 28, 9, 0), "day"),
    ("mother's day", at(2027, 5, 9, 9, 0), "day"),
    ("father's day", at(2027, 6, 20, 9, 0), "day"),
    ("memorial day", at(2027, 5, 31, 9, 0), "day"),
    ("independence day", at(2027, 7, 4, 9, 0), "day"),
    ("labor day", at(2027, 9, 6, 9, 0), "day"),
    ("halloween", at(2027, 10, 31, 9, 0), "day"),
    ("thanksgiving", at(2027, 11, 25, 9, 0), "day"),
    ("black friday", at(2027, 11, 26, 9, 0), "day"),
    ("cyber monday", at(2026, 11, 30, 9, 0), "day"),
    ("christmas eve", at(2026, 12, 24, 9, 0), "day"),
    ("christmas day at 10am", at(2026, 12, 25, 10, 0), "hour"),
    ("boxing day", at(2026, 12, 26, 9, 0), "day"),
]


@pytest.mark.parametrize(("phrase", "when", "grain"), CASES)
def test_phrase(phrase: str, when: datetime, grain: str) -> None:
    r = parse_time(phrase, now=NOW, tz=TZ)
    assert r is not None
    assert (r.when, r.grain) == (when, grain)
    assert r.when.utcoffset() == when.utcoffset()
    assert r.recurrence is None
    assert r.problems == ()


def test_next_wednesday_said_on_tuesday_is_eight_days_ahead() -> None:
    tuesday = at(2026, 12, 1, 10, 0)
    r = parse_time("next wednesday", now=tuesday, tz=TZ)
    assert r is not None
    assert r.when.date() == (tuesday + timedelta(days=8)).date()
    bare = parse_time("wednesday", now=tuesday, tz=TZ)
    assert bare is not None
    assert bare.when.date() == (tuesday + timedelta(days=1)).date()


def test_weekday_with_time_later_today_is_today() -> None:
    r = parse_time("saturday 17:00", now=NOW, tz=TZ)
    assert r is not None
    assert r.when == at(2026, 11, 28, 17, 0)


def test_weekday_never_read_as_month() -> None:
    r = parse_time("thursday at 9", now=NOW, tz=TZ)
    assert r is not None
    assert (r.when.month, r.when.day, r.when.hour) == (12, 3, 9)


@pytest.mark.parametrize(
    ("phrase", "zone", "offset_hours"),
    [
        ("tomorrow 9am PST", "America/Los_Angeles", -8),
        ("tomorrow 9am PDT", "America/Los_Angeles", -7),
        ("tomorrow 9am EST", "America/New_York", -5),
        ("tomorrow 9am CET", "Europe/Berlin", 1),
        ("tomorrow 9am CEST", "Europe/Berlin", 2),
        ("tomorrow 9am UTC", "UTC", 0),
        ("tomorrow 9am GMT", "UTC", 0),
        ("tomorrow 9am UTC+2", "Etc/GMT-2", 2),
        ("tomorrow 9am GMT-5", "Etc/GMT+5", -5),
        ("tomorrow 9am Europe/Berlin", "Europe/Berlin", 1),
        ("tomorrow 9am america/los_angeles", "America/Los_Angeles", -8),
    ],
)
def test_explicit_zones(phrase: str, zone: str, offset_hours: int) -> None:
    r = parse_time(phrase, now=NOW, tz="Asia/Tokyo")
    assert r is not None
    assert r.timezone == zone
    assert (r.when.hour, r.when.minute) == (9, 0)
    assert r.when.utcoffset() == timedelta(hours=offset_hours)


def test_now_in_any_zone_is_read_in_the_users_zone() -> None:
    r = parse_time("tomorrow 9am", now=NOW.astimezone(at(2000, 1, 1).tzinfo), tz="UTC")
    assert r is not None
    assert r.when.isoformat() == "2026-11-29T09:00:00+00:00"


def test_no_time_is_none() -> None:
    assert parse_time("laughing out loud", now=NOW, tz=TZ) is None
    assert parse_time("", now=NOW, tz=TZ) is None
