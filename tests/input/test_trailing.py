"""The trailing lines of a chat request: per-network versions, a first comment, alt text, and
``---`` parts; what stays text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.parse_command import parse_request
from scheduler.reader.trailing import split_parts, split_trailing


def test_versions_first_comment_and_alts_come_off_the_end() -> None:
    found = split_trailing(
        "tomorrow 9am to x, linkedin: Main text\n"
        "X: Short for X\n"
        "li: The longer one\nwith a second line\n"
        "first comment: Questions below\n"
        "alt: A cat"
    )
    assert found.request == "tomorrow 9am to x, linkedin: Main text"
    assert found.variants == {"x": "Short for X", "linkedin": "The longer one\nwith a second line"}
    assert found.first_comment == "Questions below"
    assert found.alts == {1: "A cat"}
    assert found.problems == ()


@pytest.mark.parametrize(
    "request_text",
    [
        "now to x: Hello\nNote: this stays",  # not a network
        "x: now to x: the first line is the request",
        "now to x: Hi\nalt: a\nthe end",  # text after an alt line is text
        "now to x: See https://example.com\nhttps://example.org",
    ],
)
def test_what_stays_text(request_text: str) -> None:
    found = split_trailing(request_text)
    assert (found.request, found.variants, found.first_comment) == (request_text, {}, None)


def test_other_languages_first_comment_and_duplicates() -> None:
    assert split_trailing("mañana 9 en x: Hola\nprimer comentario: ¿Dudas?").first_comment == (
        "¿Dudas?"
    )
    assert split_trailing("now to x: Hi\nпервый комментарий: да").first_comment == "да"
    found = split_trailing("now to x: Hi\nx: one\ntwitter: two")
    assert found.problems == ("There are two lines for X; keep one.",)
    empty = split_trailing("now to x, linkedin: Hi\nlinkedin:")
    assert empty.problems == (
        "The line for LinkedIn has no text: write its version after the colon, or remove the line.",
    )


def test_dashes_split_parts() -> None:
    assert split_parts("One\n---\nTwo\n\n-----\n Three ") == ("One", "Two", "Three")
    assert split_parts("No marker -- here") == ()


def test_outpost_parse_checks_each_version_and_part_against_its_network() -> None:
    now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    fine = parse_request("tomorrow 9am to x, linkedin: Main\nx: short", now=now, tz="UTC")
    assert (fine.text, fine.variants, fine.problems) == ("Main", {"x": "short"}, ())
    long_x = parse_request(f"tomorrow 9am to x, linkedin: Main\nx: {'a' * 281}", now=now, tz="UTC")
    assert long_x.problems == (
        "The text is 281 characters as X counts them; it allows 280. Shorten it or send it to "
        "another network.",
    )
    thread = parse_request(f"tomorrow 9am to x: One\n---\n{'b' * 290}", now=now, tz="UTC")
    assert thread.parts == ("One", "b" * 290)
    assert "290 characters as X counts them" in thread.problems[0]
