"""Before a post is due: an account that fails its check is reported in the post's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from scheduler.health.watch import due_soon_checks
from scheduler.service import Scheduler
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.health.conftest import Chat
from tests.support import set_clock

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


async def test_revoked_account_is_reported_in_the_thread_once_before_its_post_is_due(
    chat: Chat, mastodon: FakeMastodon
) -> None:
    rt = chat.rt
    set_clock(rt, NOON)
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    scheduler = Scheduler(rt)
    soon = await scheduler.schedule(
        ws.id, "in 5 hours to mastodon: Doors open", tz="UTC", origin=chat.origin()
    )
    await scheduler.schedule(
        ws.id, "in 3 days to mastodon: Later", tz="UTC", origin=chat.origin() | {"thread_ts": "9"}
    )
    assert await due_soon_checks(rt) == 0  # all is well: nothing said
    assert chat.replies("") == []

    mastodon.tokens.clear()  # the person revoked Outpost on the instance
    assert await due_soon_checks(rt) == 1
    [warning] = chat.replies("may not go out")
    assert "mastodon:@outpost@fake.social" in warning["text"]
    assert "reconnect" in warning["text"]
    assert f"{rt.settings.base_url}/connect/mastodon?link=" in warning["text"]
    assert "good-token" not in warning["text"]
    # Said once; the post is still scheduled and nothing was published.
    assert await due_soon_checks(rt) == 0
    assert len(chat.replies("may not go out")) == 1
    assert (await rt.posts.get(soon.id)).status == "scheduled"
    assert mastodon.statuses == []
    # The post three days out is checked when it comes within a day, not now.
    assert [m for m in chat.slack.messages if m["thread_ts"] == "9"] == []


async def test_retired_api_version_is_reported_as_needing_an_update(
    chat: Chat, linkedin: FakeLinkedIn
) -> None:
    rt = chat.rt
    set_clock(rt, NOON)
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(
        ws.id, "linkedin", "acme-corp", rt.cipher.encrypt("li-token"), base_url=linkedin.url,
        settings={"author": f"urn:li:organization:{linkedin.org_id}"},
    )  # fmt: skip
    linkedin.today = linkedin.today.replace(year=2027, month=4)  # LinkedIn sunset 202603
    await Scheduler(rt).schedule(
        ws.id, "in 2 hours to linkedin: Hiring", tz="UTC", origin=chat.origin()
    )
    assert await due_soon_checks(rt) == 1
    [warning] = chat.replies("may not go out")
    assert "needs an update" in warning["text"]
    assert "operator must update Outpost" in warning["text"]
    assert "/connect/" not in warning["text"]
