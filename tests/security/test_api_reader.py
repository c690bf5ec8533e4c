"""Issue #23, item 2: the request reader sees a bounded request. Whatever the entry point (API,
hooks, compose, chats, CLI), a request over the cap is refused with a message naming the limit
instead of being read for seconds on the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from scheduler.reader import read_request
from scheduler.runtime import Runtime
from tests.api.conftest import Api, open_api
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


@pytest.mark.parametrize(
    ("request_text", "needle"),
    [
        ("x " * 650_000, "over the limit of 102,400"),  # the 1.3 MB compose request
        ("tomorrow 9am to x: " + "a" * 200_000, "over the limit of 102,400"),
        ("tomorrow 9am to x " + "word " * 600 + ": hi", "over 2,000 characters or 120 words"),
        ("to x " * 130 + ": hi", "over 2,000 characters or 120 words"),
    ],
)
def test_an_oversized_request_is_one_short_problem_naming_the_limit(
    request_text: str, needle: str
) -> None:
    parsed = read_request(request_text, now=NOW, tz="Europe/Berlin")
    assert parsed.when is None
    assert len(parsed.problems) == 1
    assert needle in parsed.problems[0]
    assert len(parsed.problems[0]) < 300  # the request is not echoed back


def test_long_texts_and_many_destinations_are_still_read() -> None:
    text = "a" * 100_000
    parsed = read_request(f"tomorrow 9am to mastodon: {text}", now=NOW, tz="UTC")
    assert parsed.problems == ()
    assert parsed.text == text
    names = ", ".join(f"acct{i}.bsky.social" for i in range(50))
    parsed = read_request(f"tomorrow 9am to {names}: hi", now=NOW, tz="UTC")
    assert parsed.problems == ()
    assert len(parsed.destinations) == 50


async def test_the_api_refuses_an_oversized_head_with_the_limit(api: Api) -> None:
    request = "tomorrow 9am to mastodon " + "x " * 5000 + ": hi"
    status, answer, _ = await api.call("POST", "/api/v1/posts", json={"request": request})
    assert status == 422, answer
    assert "over 2,000 characters or 120 words" in answer["error"]["message"]
    assert await count_rows("scheduled_posts") == 0
