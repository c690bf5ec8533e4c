"""Recurrences that were once read as something else, in every language: each is read exactly
(checked by its next five occurrences across Berlin's spring change) or refused, never guessed."""

from __future__ import annotations

import pytest

from scheduler.reader import read_request
from tests.reader.conftest import at
from tests.reader.test_recurrence_kinds import SPRING, five, wall

EVERY_OTHER_FRIDAY = [
    "every 2 fridays at 10",
    "cada dos viernes a las 10",
    "jeden zweiten Freitag um 10 Uhr",
    "a cada duas sextas às 10h",
    "ogni due venerdì alle 10",
    "un vendredi sur deux à 10h",
    "каждую вторую пятницу в 10",
]


@pytest.mark.parametrize("phrase", EVERY_OTHER_FRIDAY)
def test_every_other_friday_in_each_language(phrase: str) -> None:
    rule, got = five(phrase)
    assert rule is not None
    assert "FREQ=WEEKLY" in rule
    assert "INTERVAL=2" in rule
    assert got == wall(
        (2027, 3, 19), (2027, 4, 2), (2027, 4, 16), (2027, 4, 30), (2027, 5, 14), hour=10
    )


def test_every_three_mondays_counts_weeks() -> None:
    rule, got = five("every 3 mondays at 9")
    assert rule is not None
    assert "INTERVAL=3" in rule
    assert got == wall(
        (2027, 3, 22), (2027, 4, 12), (2027, 5, 3), (2027, 5, 24), (2027, 6, 14), hour=9
    )


DAY_FIFTEEN = [
    "every 15th at 9",
    "chaque 15 du mois à 9h",
    "ogni 15 del mese alle 9",
    "cada 15 de mes a las 9",
    "el 15 de cada mes a las 9",
    "jeden 15. des Monats um 9 Uhr",
    "todo dia 15 às 9h",
    "каждое 15 число в 9",
]


@pytest.mark.parametrize("phrase", DAY_FIFTEEN)
def test_the_fifteenth_of_every_month_in_each_language(phrase: str) -> None:
    rule, got = five(phrase)
    assert rule is not None
    assert "BYMONTHDAY=15" in rule
    assert "INTERVAL" not in rule
    # 28 March is the change: 15 April on is summer time, still 09:00 on the wall.
    assert got == wall(
        (2027, 4, 15), (2027, 5, 15), (2027, 6, 15), (2027, 7, 15), (2027, 8, 15), hour=9
    )


@pytest.mark.parametrize(
    "phrase", ["every second friday at 10", "every 2nd friday at 10", "every 3rd tuesday at 10"]
)
def test_every_nth_weekday_without_the_month_is_asked_not_guessed(phrase: str) -> None:
    r = read_request(f"{phrase} to x: Hi", now=SPRING, tz="Europe/Berlin")
    assert r.problems, r
    text = " ".join(r.problems)
    assert "every other" in text
    assert "of every month" in text


@pytest.mark.parametrize(
    ("phrase", "byday"),
    [
        ("the 2nd friday of every month at 10", "2FR"),
        ("every 2nd friday of the month at 10", "2FR"),
        ("jeden ersten Montag des Monats um 10 Uhr", "1MO"),
        ("every last friday at 10", "-1FR"),
    ],
)
def test_an_nth_weekday_of_the_month_repeats_monthly(phrase: str, byday: str) -> None:
    rule, got = five(phrase)
    assert rule is not None
    assert "FREQ=MONTHLY" in rule
    assert f"BYDAY={byday}" in rule
    assert len({g.month for g in got}) == 5


def test_am_ersten_montag_des_monats_names_one_day() -> None:
    r = read_request(
        "am ersten Montag des Monats um 10 Uhr auf x: Hallo", now=at(2027, 3, 1, 8, 0),
        tz="Europe/Berlin",
    )  # fmt: skip
    assert r.problems == ()
    assert r.recurrence is None
    assert r.when == at(2027, 3, 1, 10, 0)
