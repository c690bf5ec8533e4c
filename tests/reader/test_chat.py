"""Requests as people type them in chat: abbreviations, handles, tight colons, slips."""

from __future__ import annotations

import pytest

from scheduler.reader import read_request
from tests.reader.conftest import NEW_YORK, NOW, TZ, at


@pytest.mark.parametrize("word", ["tmrw", "tmr", "2moro", "Tmrw"])
def test_tomorrow_abbreviations(word: str) -> None:
    r = read_request(f"{word} 9am to x: Hi", now=NOW, tz=TZ)
    assert r.when == at(2026, 11, 29, 9, 0)
    assert r.problems == ()


@pytest.mark.parametrize(
    ("phrase", "minutes"), [("in 30 mins", 30), ("in 2 hrs", 120), ("in 1 hr", 60)]
)
def test_unit_abbreviations(phrase: str, minutes: int) -> None:
    r = read_request(f"{phrase} to x: Hi", now=NOW, tz=TZ)
    assert r.when is not None
    assert (r.when - NOW).total_seconds() == minutes * 60
    assert r.problems == ()


@pytest.mark.parametrize(
    ("phrase", "when"),
    [
        ("mon 9", at(2026, 11, 30, 9, 0)),
        ("tue 10", at(2026, 12, 1, 10, 0)),
        ("wed 3", at(2026, 12, 2, 15, 0)),
        ("thu 9am", at(2026, 12, 3, 9, 0)),
        ("fri 17:00", at(2026, 12, 4, 17, 0)),
        ("tomorrow 9", at(2026, 11, 29, 9, 0)),
    ],
)
def test_weekday_abbreviation_with_a_bare_hour(phrase: str, when: object) -> None:
    r = read_request(f"{phrase} to x: Hi", now=NOW, tz=TZ)
    assert r.when == when
    assert r.problems == ()


def test_mastodon_handle_with_its_instance_is_a_destination() -> None:
    r = read_request("tomorrow 9am to @alice@mastodon.social and x: Hi", now=NOW, tz=TZ)
    assert r.destinations == ("@alice@mastodon.social", "x")
    assert r.text == "Hi"
    assert r.problems == ()


def test_no_space_after_the_colon() -> None:
    r = read_request("tomorrow 9am to x:Hello there", now=NOW, tz=TZ)
    assert r.destinations == ("x",)
    assert r.text == "Hello there"
    assert r.problems == ()


def test_a_qualified_account_before_a_tight_colon() -> None:
    r = read_request("tomorrow 9am to li:acme:Hello", now=NOW, tz=TZ)
    assert r.destinations == ("li:acme",)
    assert r.text == "Hello"


@pytest.mark.parametrize(
    "text", ["tomorrow 9am to x:", "tomorrow 9am to x:   ", "tomorrow 9am to x: \t"]
)
def test_empty_text_is_refused(text: str) -> None:
    r = read_request(text, now=NOW, tz=TZ)
    assert r.when == at(2026, 11, 29, 9, 0)
    assert len(r.problems) == 1
    assert "empty" in r.problems[0]
    assert "to x: Hello" in r.problems[0]


def test_no_colon_is_refused() -> None:
    r = read_request("tomorrow 9am to x", now=NOW, tz=TZ)
    assert r.destinations == ("x",)
    assert len(r.problems) == 1
    assert "no text" in r.problems[0]


def test_tonight_at_8_said_at_9pm_is_asked_about() -> None:
    late = at(2026, 11, 28, 21, 0)
    r = read_request("tonight at 8 to x: Hi", now=late, tz=TZ)
    assert r.when == at(2026, 11, 29, 20, 0)
    assert len(r.problems) == 1
    assert "20:00 today has already passed" in r.problems[0]
    assert '"tomorrow 20:00"' in r.problems[0]


def test_a_passed_time_today_is_asked_about() -> None:
    (p,) = read_request("at 9am to x: Hi", now=NOW, tz=TZ).problems
    assert "09:00 today has already passed" in p


def test_a_time_still_ahead_today_is_fine() -> None:
    r = read_request("tonight at 8 to x: Hi", now=NOW, tz=TZ)
    assert r.when == at(2026, 11, 28, 20, 0)
    assert r.problems == ()


@pytest.mark.parametrize("phrase", ["13pm", "tomorrow 13pm", "at 15pm"])
def test_impossible_pm_hour_is_a_problem(phrase: str) -> None:
    r = read_request(f"{phrase} to x: Hi", now=NOW, tz=TZ)
    assert any("is not a time of day" in p for p in r.problems)


def test_numeric_date_in_a_us_zone_is_month_first_without_a_question() -> None:
    r = read_request(
        "12/1 to x: Hi", now=at(2026, 11, 28, 10, 0, tz=NEW_YORK), tz="America/New_York"
    )
    assert r.when == at(2026, 12, 1, 9, 0, tz=NEW_YORK)
    assert r.problems == ()


def test_numeric_date_elsewhere_stays_a_question() -> None:
    r = read_request("3/4 to x: Hi", now=NOW, tz=TZ)
    assert len(r.problems) == 1
    assert "could be 4 March or 3 April" in r.problems[0]
