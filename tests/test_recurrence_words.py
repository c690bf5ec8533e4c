"""A rule in words, as the reader writes rules, in each language Outpost speaks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.reader import read_request
from scheduler.recurrence_words import describe

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("every monday at 9:00", "every Monday at 09:00"),
        ("every other friday at 17:00", "every other Friday at 17:00"),
        ("every 15th at 10:00", "on day 15 of every month at 10:00"),
        ("the last friday of every month at 10", "on the last Friday of every month at 10:00"),
        ("first monday of the month at 9", "on the first Monday of every month at 09:00"),
        ("weekdays at 8:30", "every weekday at 08:30"),
        ("every monday and thursday at 9:30", "every Monday and Thursday at 09:30"),
        ("every 3 weeks on tuesday at 11:00", "every 3 weeks on Tuesday at 11:00"),
        ("every day at 7", "every day at 07:00"),
        ("daily at 18:15", "every day at 18:15"),
    ],
)
def test_rules_the_reader_writes_read_as_english(phrase: str, words: str) -> None:
    parsed = read_request(f"{phrase} to mastodon: hi", now=NOW, tz="Europe/Berlin")
    assert parsed.recurrence is not None, parsed.problems
    assert describe(parsed.recurrence) == words


RULES = {
    "weekly": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
    "other": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0",
    "monthday": "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=10;BYMINUTE=0;BYSECOND=0",
}


@pytest.mark.parametrize(
    ("lang", "weekly", "other", "monthday"),
    [
        ("es", "cada lunes a las 09:00", "cada dos semanas, el viernes, a las 17:00",
         "el día 15 de cada mes a las 10:00"),
        ("fr", "chaque lundi à 09:00", "un vendredi sur deux à 17:00",
         "le 15 de chaque mois à 10:00"),
        ("de", "jeden Montag um 09:00", "jeden zweiten Freitag um 17:00",
         "am 15. jedes Monats um 10:00"),
        ("pt", "toda semana: segunda-feira, às 09:00",
         "a cada duas semanas: sexta-feira, às 17:00", "no dia 15 de cada mês às 10:00"),
        ("it", "ogni lunedì alle 09:00", "ogni due settimane: venerdì, alle 17:00",
         "il giorno 15 di ogni mese alle 10:00"),
        ("ru", "каждую неделю: понедельник, в 09:00", "раз в две недели: пятница, в 17:00",
         "15-го числа каждого месяца в 10:00"),
    ],
)  # fmt: skip
def test_rules_read_in_each_language(lang: str, weekly: str, other: str, monthday: str) -> None:
    assert describe(RULES["weekly"], lang=lang) == weekly
    assert describe(RULES["other"], lang=lang) == other
    assert describe(RULES["monthday"], lang=lang) == monthday


def test_plurals_hours_and_what_it_cannot_say() -> None:
    assert describe("FREQ=HOURLY;BYMINUTE=5;BYSECOND=0") == "every hour at minute 5"
    assert describe("FREQ=MINUTELY;INTERVAL=15;BYSECOND=0", lang="ru") == "каждые 15 минут"
    assert describe("FREQ=DAILY;INTERVAL=2;BYHOUR=8;BYMINUTE=0") == "every other day at 08:00"
    # A rule Outpost does not write is shown as it is, never described wrongly.
    odd = "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1;BYHOUR=9"
    assert describe(odd) == odd
    assert describe("FREQ=MONTHLY;BYDAY=2TU;BYHOUR=9;BYMINUTE=0", lang="de") == (
        "am zweiten Dienstag jedes Monats um 09:00"
    )
    assert describe("FREQ=WEEKLY;BYDAY=MO", datetime(2027, 1, 4, 9, 45, tzinfo=UTC)) == (
        "every Monday at 09:45"  # the time from the first occurrence
    )
