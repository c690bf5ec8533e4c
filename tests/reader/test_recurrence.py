"""Recurring phrases become RRULEs with a local time; ``when`` is the first occurrence."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.reader import parse_time
from tests.reader.conftest import NOW, TZ, at

CASES: list[tuple[str, str, datetime]] = [
    (
        "every monday at 9",
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
        at(2026, 11, 30, 9, 0),
    ),
    ("daily at 8am", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0", at(2026, 11, 29, 8, 0)),
    ("every day at 8", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0", at(2026, 11, 29, 8, 0)),
    (
        "every weekday at 7:30",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=30;BYSECOND=0",
        at(2026, 11, 30, 7, 30),
    ),
    (
        "every 2 weeks on friday",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
        at(2026, 12, 4, 9, 0),
    ),
    (
        "every friday at 17:00",
        "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0",
        at(2026, 12, 4, 17, 0),
    ),
    (
        "first monday of the month",
        "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
        at(2026, 12, 7, 9, 0),
    ),
    (
        "every first monday of the month at 10",
        "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=10;BYMINUTE=0;BYSECOND=0",
        at(2026, 12, 7, 10, 0),
    ),
    (
        "monthly on the 1st",
        "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
        at(2026, 12, 1, 9, 0),
    ),
    ("weekly", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0;BYSECOND=0", at(2026, 12, 5, 9, 0)),
    (
        "every mon, wed and fri at 5pm",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0",
        at(2026, 11, 30, 17, 0),
    ),
]


@pytest.mark.parametrize(("phrase", "rrule", "first"), CASES)
def test_recurrence(phrase: str, rrule: str, first: datetime) -> None:
    r = parse_time(phrase, now=NOW, tz=TZ)
    assert r is not None
    assert r.recurrence == rrule
    assert r.when == first
    assert r.problems == ()


def test_the_first_monday_of_the_month_is_one_day() -> None:
    r = parse_time("the first monday of the month", now=NOW, tz=TZ)
    assert r is not None
    assert r.recurrence is None
    assert r.when.date() == at(2026, 11, 2).date()
