"""The light catalog (``publishers.catalog``) says what each publisher says about text."""

from __future__ import annotations

import pytest

from publishers.base import Publisher
from publishers.catalog import TEXT_RULES
from publishers.registry import PUBLISHERS
from publishers.x_text import weight_bound, weighted_length

SAMPLES = [
    "",
    "hi",
    "We're live! https://example.com and example.org.",
    "Launching today 🚀👩‍👩‍👧 ok",
    "@me@mastodon.social 東京で会いましょう " * 3,
    "x" * 600,
    "é" * 290 + " t.co a.co",
]


def test_every_network_has_one_rule() -> None:
    assert set(TEXT_RULES) == set(PUBLISHERS)


@pytest.mark.parametrize("platform", sorted(PUBLISHERS))
def test_the_rule_agrees_with_the_publisher(platform: str) -> None:
    cls = PUBLISHERS[platform]
    rule = TEXT_RULES[platform]
    counter: Publisher = object.__new__(cls)  # length needs no session or account
    assert (rule.label, rule.max_length) == (cls.label, cls.max_length)
    for text in SAMPLES:
        assert rule.length(text) == counter.length(text), text
        size = counter.length(text)
        assert rule.excess(text) == (size if size > cls.max_length else None), text


@pytest.mark.parametrize("text", [*SAMPLES, "a.b.c.d " * 40, "\r\n" * 200, "🇫🇷" * 150])
def test_the_x_bound_is_never_below_the_weight(text: str) -> None:
    assert weight_bound(text) >= weighted_length(text)
