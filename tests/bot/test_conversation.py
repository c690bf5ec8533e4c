"""The platform-neutral conversation, driven as an adapter would drive it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands import Command, parse_command
from bot.conversation import ChatContext, Conversation
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.support import wait_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("posts", Command("posts")),
        ("/posts@OutpostBot", Command("posts")),
        ("cancel 3f2b", Command("cancel", "3f2b")),
        ("/cancel 3f2b", Command("cancel", "3f2b")),
        ("timezone Europe/Berlin", Command("timezone", "Europe/Berlin")),
        ("/schedule tomorrow 9am to x: hi", Command("schedule", "tomorrow 9am to x: hi")),
        ("tomorrow 9am to x: hi", Command("schedule", "tomorrow 9am to x: hi")),
        ("/frobnicate", Command("help", "frobnicate")),
        ("", Command("help")),
        ("/start", Command("help")),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


def ctx(team: str = "T1", user: str = "U1", **kw: object) -> ChatContext:
    return ChatContext(platform="slack", team_id=team, user_id=user, user_tz="Europe/Berlin",
                       origin={"channel": "C1"}, **kw)  # type: ignore[arg-type]


async def _connect(runtime: Runtime, mastodon: FakeMastodon, team: str = "T1") -> None:
    ws = await runtime.workspaces.ensure(f"slack:{team}")
    await runtime.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", runtime.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )


async def test_schedule_list_cancel_and_foreign_button(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    talk = Conversation(runtime)
    await _connect(runtime, mastodon)
    reply = await talk.handle(ctx(), "tomorrow 9am to mastodon: We're live!")
    assert reply.post is not None
    assert "Scheduled for" in reply.text
    assert {b.action for b in reply.buttons} == {"cancel", "edit_time", "post_now"}
    assert reply.post.origin["channel"] == "C1"
    listed = await talk.handle(ctx(), "posts")
    assert str(reply.post.id) in listed.text
    stranger = await talk.press(ctx(team="T2", user="U9"), "cancel", str(reply.post.id))
    assert "No post" in stranger.text
    assert (await runtime.posts.get(reply.post.id)).status == "scheduled"
    cancelled = await talk.handle(ctx(), f"cancel {str(reply.post.id)[:8]}")
    assert "Cancelled" in cancelled.text
    assert (await runtime.posts.get(reply.post.id)).status == "cancelled"


async def test_problems_and_timezone(runtime: Runtime, mastodon: FakeMastodon) -> None:
    talk = Conversation(runtime)
    await _connect(runtime, mastodon)
    bad = await talk.handle(ctx(), "to mastodon: no time")
    assert bad.private
    assert "couldn't schedule" in bad.text
    assert "Try" in bad.text
    zone = await talk.handle(ctx(), "timezone Mars/Olympus")
    assert "not a time zone" in zone.text
    ok = await talk.handle(ctx(), "timezone America/New_York")
    assert "America/New_York" in ok.text
    me = await talk.identify(ctx())
    assert me.tz == "America/New_York"
    assert not me.new_user


async def test_post_now_button_publishes(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    talk = Conversation(runtime)
    await _connect(runtime, mastodon)
    reply = await talk.handle(ctx(), "tomorrow 9am to mastodon: early bird")
    assert reply.post is not None
    await talk.press(ctx(), "post_now", str(reply.post.id))

    async def published() -> bool:
        return len(mastodon.statuses) == 1

    await wait_for(published, timeout=10)
    moved = await talk.edit_time(ctx(), str(reply.post.id), "tomorrow 10am")
    assert "published" in moved.text.lower() or "only scheduled" in moved.text.lower()


async def test_non_admin_cannot_schedule(runtime: Runtime, mastodon: FakeMastodon) -> None:
    talk = Conversation(runtime)
    await _connect(runtime, mastodon)
    reply = await talk.handle(ctx(can_schedule=False), "tomorrow 9am to mastodon: hi")
    assert "viewer" in reply.text
    assert reply.post is None


async def test_a_known_member_is_found_in_one_step_with_the_same_answer(runtime: Runtime) -> None:
    talk = Conversation(runtime)
    first = await talk.identify(ctx())  # first contact: workspace, user and membership made
    assert first.new_user
    assert first.tz == "Europe/Berlin"
    assert await runtime.workspaces.known_member("slack:T1", "slack", "T1", "U1") is not None
    no_zone = ChatContext(platform="slack", team_id="T1", user_id="U1")
    again = await talk.identify(no_zone)  # the zone stored at first contact
    assert (again.workspace_id, again.user_id, again.tz) == (
        first.workspace_id, first.user_id, "Europe/Berlin",
    )
    assert not again.new_user
    found = await talk.member(no_zone)  # what an adapter passes on, so it is not asked twice
    assert found is not None
    assert await talk.identify(replace(no_zone, member=found)) == again
    await talk.handle(ctx(), "timezone America/New_York")
    assert (await talk.identify(ctx())).tz == "America/New_York"
    # The same person writing into another workspace is not a member of it until synced.
    elsewhere = ChatContext(platform="slack", team_id="T1", user_id="U1", workspace_name="other")
    assert await runtime.workspaces.known_member("other", "slack", "T1", "U1") is None
    joined = await talk.identify(elsewhere)
    assert joined.user_id == first.user_id
    assert joined.workspace_id != first.workspace_id
    assert await runtime.workspaces.known_member("other", "slack", "T1", "U1") is not None
