"""The contract's chat examples and the request grammar."""

from __future__ import annotations

import pytest

from scheduler.reader import ParsedRequest, read_request
from tests.reader.conftest import NOW, TZ, at


def read(text: str) -> ParsedRequest:
    return read_request(text, now=NOW, tz=TZ)


def test_tomorrow_to_two_destinations_with_url() -> None:
    r = read("tomorrow 9am to x, linkedin: We're live! https://example.com")
    assert r.when == at(2026, 11, 29, 9, 0)
    assert r.destinations == ("x", "linkedin")
    assert r.text == "We're live! https://example.com"
    assert r.problems == ()
    assert r.recurrence is None


def test_in_two_hours_on_mastodon_keeps_emoji() -> None:
    r = read("in 2 hours on mastodon: Launching today 🚀")
    assert r.when == at(2026, 11, 28, 12, 0)
    assert r.destinations == ("mastodon",)
    assert r.text == "Launching today 🚀"
    assert r.problems == ()


def test_next_friday_1700_to_bluesky_handle() -> None:
    r = read("next friday 17:00 to @acme.bsky.social: Weekend sale")
    assert r.when == at(2026, 12, 4, 17, 0)
    assert r.destinations == ("@acme.bsky.social",)
    assert r.text == "Weekend sale"
    assert r.problems == ()


def test_explicit_pst_zone() -> None:
    r = read("dec 3 10:30 PST to all: Webinar starts in 30 minutes")
    assert r.when is not None
    assert r.when.isoformat() == "2026-12-03T10:30:00-08:00"
    assert r.timezone == "America/Los_Angeles"
    assert r.destinations == ("all",)
    assert r.text == "Webinar starts in 30 minutes"
    assert r.problems == ()


def test_every_monday_is_recurring() -> None:
    r = read("every monday at 9:00 to linkedin: Weekly tip")
    assert r.recurrence == "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    assert r.when == at(2026, 11, 30, 9, 0)
    assert r.destinations == ("linkedin",)
    assert r.text == "Weekly tip"
    assert r.problems == ()


def test_now_to_telegram() -> None:
    r = read("now to telegram: Doors open")
    assert r.when == NOW
    assert r.destinations == ("telegram",)
    assert r.text == "Doors open"
    assert r.problems == ()


def test_to_json_shape() -> None:
    j = read("tomorrow 9am to X , LinkedIn: Hi: there").to_json()
    assert j == {
        "when": "2026-11-29T09:00:00+01:00",
        "timezone": "Europe/Berlin",
        "recurrence": None,
        "destinations": ["x", "linkedin"],
        "text": "Hi: there",
        "problems": [],
        "lang": "en",
    }


@pytest.mark.parametrize(
    ("request_text", "dests"),
    [
        ("tomorrow 9am to x and linkedin & mastodon: hi", ("x", "linkedin", "mastodon")),
        ("tomorrow 9am to x linkedin: hi", ("x", "linkedin")),
        ("tomorrow 9am to linkedin:acme-corp: hi", ("linkedin:acme-corp",)),
        ("tomorrow 9am to ALL: hi", ("all",)),
    ],
)
def test_destination_separators(request_text: str, dests: tuple[str, ...]) -> None:
    r = read(request_text)
    assert r.destinations == dests
    assert r.text == "hi"
    assert r.problems == ()


def test_destination_first() -> None:
    r = read("to x tomorrow 9am: hi")
    assert (r.when, r.destinations, r.text, r.problems) == (
        at(2026, 11, 29, 9, 0),
        ("x",),
        "hi",
        (),
    )


def test_text_colons_and_times_inside_text() -> None:
    r = read("dec 3 10:30 to x: Doors at 19:00: see https://a.example/x:y")
    assert r.when == at(2026, 12, 3, 10, 30)
    assert r.text == "Doors at 19:00: see https://a.example/x:y"


def test_empty_text_is_a_problem() -> None:
    r = read("tomorrow 9am to x:")
    assert r.text == ""
    (p,) = r.problems
    assert "empty" in p


def test_missing_colon_is_a_problem_but_time_is_kept() -> None:
    r = read("tomorrow 9am to x We're live")
    assert r.when == at(2026, 11, 29, 9, 0)
    assert len(r.problems) == 1
    assert "colon" in r.problems[0]
    assert "to x: " in r.problems[0]


def test_no_destination_is_a_problem() -> None:
    r = read("tomorrow 9am: hi")
    assert r.when == at(2026, 11, 29, 9, 0)
    assert r.destinations == ()
    assert any("no destination" in p and "to x: Hello" in p for p in r.problems)


def test_phrase_alone_gives_its_time() -> None:
    r = read("next friday at 5pm")
    assert r.when == at(2026, 12, 4, 17, 0)
    assert r.text == ""
    assert any("no destination" in p for p in r.problems)
