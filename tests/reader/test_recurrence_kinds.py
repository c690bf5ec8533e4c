"""Each recurrence kind, checked by its next five occurrences across a DST change."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.reader import next_occurrence, read_request
from tests.reader.conftest import BERLIN, at

# Thursday 2027-03-18 in Berlin: clocks go forward on Sunday 2027-03-28.
SPRING = at(2027, 3, 18, 10, 0)


def five(text: str, now: datetime = SPRING) -> tuple[str | None, list[datetime]]:
    r = read_request(f"{text} to x: Hi", now=now, tz="Europe/Berlin")
    assert r.problems == (), r.problems
    assert r.when is not None
    assert r.recurrence is not None
    got = [r.when]
    while len(got) < 5:
        nxt = next_occurrence(r.recurrence, tz="Europe/Berlin", after=got[-1], dtstart=r.when)
        assert nxt is not None
        got.append(nxt)
    return r.recurrence, [g.astimezone(BERLIN) for g in got]


def wall(*days: tuple[int, int, int], hour: int, minute: int = 0) -> list[datetime]:
    return [at(y, m, d, hour, minute) for y, m, d in days]


def test_every_other_weekday() -> None:
    rule, got = five("every other friday at 10")
    assert "INTERVAL=2" in (rule or "")
    assert "BYDAY=FR" in (rule or "")
    assert got == wall(
        (2027, 3, 19), (2027, 4, 2), (2027, 4, 16), (2027, 4, 30), (2027, 5, 14), hour=10
    )


def test_every_morning() -> None:
    _, got = five("every morning at 8")
    assert got == wall(
        (2027, 3, 19), (2027, 3, 20), (2027, 3, 21), (2027, 3, 22), (2027, 3, 23), hour=8
    )


def test_every_evening_across_the_change() -> None:
    _, got = five("every evening at 7", now=at(2027, 3, 26, 20, 0))
    assert got == wall(
        (2027, 3, 27), (2027, 3, 28), (2027, 3, 29), (2027, 3, 30), (2027, 3, 31), hour=19
    )
    assert got[0].utcoffset() != got[1].utcoffset()


def test_weekdays_at() -> None:
    _, got = five("weekdays at 8:30", now=at(2027, 3, 25, 10, 0))
    assert got == wall(
        (2027, 3, 26), (2027, 3, 29), (2027, 3, 30), (2027, 3, 31), (2027, 4, 1), hour=8, minute=30
    )


def test_every_weekend() -> None:
    _, got = five("every weekend at 10")
    assert got == wall(
        (2027, 3, 20), (2027, 3, 21), (2027, 3, 27), (2027, 3, 28), (2027, 4, 3), hour=10
    )


def test_first_weekday_of_every_month() -> None:
    _, got = five("the first monday of every month at 9")
    assert got == wall((2027, 4, 5), (2027, 5, 3), (2027, 6, 7), (2027, 7, 5), (2027, 8, 2), hour=9)


def test_last_friday_of_every_month_is_not_every_friday() -> None:
    rule, got = five("the last friday of every month at 9")
    assert "BYDAY=-1FR" in (rule or "")
    assert got == wall(
        (2027, 3, 26), (2027, 4, 30), (2027, 5, 28), (2027, 6, 25), (2027, 7, 30), hour=9
    )


def test_every_15th() -> None:
    _, got = five("every 15th at 9")
    assert got == wall(
        (2027, 4, 15), (2027, 5, 15), (2027, 6, 15), (2027, 7, 15), (2027, 8, 15), hour=9
    )


@pytest.mark.parametrize(
    "text",
    [
        "every month on friday",
        "every monday next week",
        "every day tomorrow",
        "every 31st at 9",
    ],
)
def test_a_recurrence_not_fully_understood_is_refused_with_an_example(text: str) -> None:
    r = read_request(f"{text} to x: Hi", now=SPRING, tz="Europe/Berlin")
    assert len(r.problems) == 1
    assert "can't repeat" in r.problems[0]
    assert '"the last friday of every month at 10"' in r.problems[0]
