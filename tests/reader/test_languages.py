"""Requests in Spanish, French, German, Portuguese, Italian and Russian."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.reader import read_request
from scheduler.reader.lang import detect
from tests.reader.conftest import NOW, TZ, at

WEEKLY_MONDAY_10 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0;BYSECOND=0"


@pytest.mark.parametrize(
    ("text", "lang", "when", "dests"),
    [
        ("mañana a las 9 en x y linkedin: Hola", "es", at(2026, 11, 29, 9, 0), ("x", "linkedin")),
        ("el martes 1 de diciembre a las 15:30 en x: Hola", "es", at(2026, 12, 1, 15, 30), ("x",)),
        ("demain 9 h sur x et bluesky: Bonjour", "fr", at(2026, 11, 29, 9, 0), ("x", "bluesky")),
        ("le 3/12 à 17h sur x: Bonjour", "fr", at(2026, 12, 3, 17, 0), ("x",)),
        (
            "morgen um 9 Uhr auf x und linkedin: Hallo",
            "de",
            at(2026, 11, 29, 9, 0),
            ("x", "linkedin"),
        ),
        ("am 15.12. um 18 Uhr auf x: Hallo", "de", at(2026, 12, 15, 18, 0), ("x",)),
        ("amanhã às 9h no x e linkedin: Olá", "pt", at(2026, 11, 29, 9, 0), ("x", "linkedin")),
        ("dia 5 às 18 horas na x: Olá", "pt", at(2026, 12, 5, 18, 0), ("x",)),
        ("domani alle 9 su x e linkedin: Ciao", "it", at(2026, 11, 29, 9, 0), ("x", "linkedin")),
        ("lunedì alle 14 su x: Ciao", "it", at(2026, 11, 30, 14, 0), ("x",)),
        ("завтра в 9 утра в telegram и x: Привет", "ru", at(2026, 11, 29, 9, 0), ("telegram", "x")),
        ("в понедельник в 18:00 на x: Привет", "ru", at(2026, 11, 30, 18, 0), ("x",)),
        ("mañana a las 9 to x: Hola", "es", at(2026, 11, 29, 9, 0), ("x",)),
    ],
)
def test_one_off_request_in_each_language(
    text: str, lang: str, when: datetime, dests: tuple[str, ...]
) -> None:
    r = read_request(text, now=NOW, tz=TZ)
    assert r.lang == lang
    assert r.when == when
    assert r.destinations == dests
    assert r.recurrence is None
    assert r.problems == ()


@pytest.mark.parametrize(
    "text",
    [
        "todos los lunes a las 10 en x: Hola",
        "chaque lundi à 10h sur x: Bonjour",
        "jeden Montag um 10 Uhr auf x: Hallo",
        "toda segunda às 10 no x: Olá",
        "ogni lunedì alle 10 su x: Ciao",
        "каждый понедельник в 10:00 в x: Привет",
    ],
)
def test_every_monday_at_ten_in_each_language(text: str) -> None:
    r = read_request(text, now=NOW, tz=TZ)
    assert r.recurrence == WEEKLY_MONDAY_10
    assert r.when == at(2026, 11, 30, 10, 0)
    assert r.problems == ()


def test_lang_parameter_wins_over_the_guess() -> None:
    # "no" reads as Portuguese "on"; as English the request has no destination marker.
    r = read_request("amanhã às 9h no x: Olá", now=NOW, tz=TZ, lang="en")
    assert r.lang == "en"
    assert r.problems != ()


def test_language_is_guessed_from_the_head_not_the_text() -> None:
    r = read_request("tomorrow 9am to x: Hola amigos, hoy es el día", now=NOW, tz=TZ)
    assert r.lang == "en"
    assert r.problems == ()


@pytest.mark.parametrize(
    ("head", "lang"),
    [
        ("mañana a las 9 en x", "es"),
        ("demain à 9h sur x", "fr"),
        ("morgen um 9 Uhr auf x", "de"),
        ("amanhã às 9h no x", "pt"),
        ("domani alle 9 su x", "it"),
        ("завтра в 9 утра в x", "ru"),
        ("tomorrow 9am to x", "en"),
        ("am 15.2. auf x", "de"),
        ("in 2 Stunden auf x", "de"),
        ("dec 3 10:30 PST to all", "en"),
    ],
)
def test_detect(head: str, lang: str) -> None:
    assert detect(head) == lang


def test_a_weekday_name_after_the_marker_is_not_a_destination() -> None:
    r = read_request("às 10 no domingo no x: Oi", now=NOW, tz=TZ)
    assert r.destinations == ("x",)
    assert r.when == at(2026, 11, 29, 10, 0)


def test_words_not_understood_are_quoted_as_typed() -> None:
    r = read_request("mañana a las 9 quizás en x: Hola", now=NOW, tz=TZ)
    assert any('"mañana a las 9 quizás"' in p for p in r.problems)


def test_a_repeat_not_fully_understood_is_refused_in_other_languages_too() -> None:
    # "every month on friday" would otherwise be stored as every Friday.
    r = read_request("cada mes el viernes en x: Hola", now=NOW, tz=TZ)
    assert r.lang == "es"
    (p,) = r.problems
    assert p.startswith('I can\'t repeat "cada mes el viernes" exactly')


def test_last_friday_of_every_month_in_french() -> None:
    r = read_request("le dernier vendredi de chaque mois à 9h sur x: Salut", now=NOW, tz=TZ)
    assert r.recurrence == "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    assert r.problems == ()


@pytest.mark.parametrize(
    ("text", "byday"),
    [
        ("el primer lunes de cada mes a las 10 en x: Hola", "1MO"),
        ("el último viernes de cada mes a las 10 en x: Hola", "-1FR"),
        ("le premier lundi de chaque mois à 10h sur x: Bonjour", "1MO"),
        ("am letzten Freitag jedes Monats um 10 Uhr auf x: Hallo", "-1FR"),
        ("o primeiro sábado de cada mês às 10h no x: Olá", "1SA"),
        ("l'ultimo venerdì di ogni mese alle 10 su x: Ciao", "-1FR"),
        ("в первый понедельник каждого месяца в 10:00 в x: Привет", "1MO"),
    ],
)
def test_nth_weekday_of_every_month_in_each_language(text: str, byday: str) -> None:
    r = read_request(text, now=NOW, tz=TZ)
    assert r.recurrence == f"FREQ=MONTHLY;BYDAY={byday};BYHOUR=10;BYMINUTE=0;BYSECOND=0"
    assert r.problems == ()
