"""Every problem names what was understood and gives an example that works."""

from __future__ import annotations

from datetime import timedelta

from scheduler.reader import parse_time, read_request
from tests.reader.conftest import NOW, TZ, at


def problems(text: str) -> tuple[str, ...]:
    return read_request(text, now=NOW, tz=TZ).problems


def test_no_time() -> None:
    r = read_request("sometime soonish to x: hi", now=NOW, tz=TZ)
    assert r.when is None
    assert len(r.problems) == 1
    assert "couldn't find a time" in r.problems[0]
    assert 'Try: "tomorrow 9am to x: Hello"' in r.problems[0]


def test_past() -> None:
    (p,) = problems("yesterday 9am to x: hi")
    assert "in the past" in p
    assert "Fri 27 Nov 2026 09:00" in p
    assert "to x:" in p


def test_under_a_minute_in_the_past_is_questioned() -> None:
    now = at(2026, 11, 28, 10, 0, 30)
    r = read_request("10:00 to x: hi", now=now, tz=TZ)
    assert r.when == at(2026, 11, 28, 10, 0)
    (p,) = r.problems
    assert "30 s ago" in p
    assert '"now' in p


def test_now_is_fine() -> None:
    assert problems("now to x: hi") == ()
    assert problems("right now to x: hi") == ()


def test_more_than_a_year_ahead() -> None:
    (p,) = problems("in 2 years to x: hi")
    assert "more than a year away — is that right?" in p
    assert "to x: Hello" in p


def test_ambiguous_numeric_date() -> None:
    r = read_request("3/4 to x: hi", now=NOW, tz=TZ)
    assert r.when is not None
    assert (r.when.month, r.when.day) == (3, 4)
    (p,) = r.problems
    assert "could be 4 March or 3 April" in p
    assert "'4 mar'" in p
    assert "'apr 3'" in p
    assert problems("03/04 to x: hi") != ()
    assert problems("12/25 to x: hi") == ()
    assert problems("25/12 to x: hi") == ()


def test_partly_understood() -> None:
    r = read_request("tomorrow 9am blorp to x: hi", now=NOW, tz=TZ)
    assert r.when == at(2026, 11, 29, 9, 0)
    (p,) = r.problems
    assert '"blorp"' in p
    assert "Sun 29 Nov 2026 09:00" in p
    assert "to x: Hello" in p


def test_no_destination() -> None:
    (p,) = problems("tomorrow 9am: hi")
    assert "no destination" in p
    assert "tomorrow 9am to x: Hello" in p


def test_missing_colon() -> None:
    (p,) = problems("tomorrow 9am to x We're live")
    assert "colon" in p
    assert "tomorrow 9am to x: We're live" in p


def test_parse_time_reports_ambiguity() -> None:
    r = parse_time("3/4 at 5pm", now=NOW, tz=TZ)
    assert r is not None
    assert r.problems
    assert r.when == at(2027, 3, 4, 17, 0)
    assert r.when - NOW > timedelta(days=90)
