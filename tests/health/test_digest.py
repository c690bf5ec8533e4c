"""The weekly digest: its content (the week ahead, last week's failures and why, the accounts
needing attention) and the chats that opted in with ``digest on``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.conversation import ChatContext, Conversation
from scheduler.health.digest import send_digests, weekly_digest
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.health.conftest import Chat
from tests.slack.conftest import CHANNEL, TEAM
from tests.support import set_clock, wait_for

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def test_digest_lists_the_week_ahead_last_weeks_failures_and_accounts_to_fix(
    runtime: Runtime, worker: object, mastodon: FakeMastodon
) -> None:
    rt = runtime
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    scheduler = Scheduler(rt)
    set_clock(rt, T0 - timedelta(days=3))
    mastodon.fail_next("422")  # the instance refuses the post
    refused = await scheduler.schedule(ws.id, "now to mastodon: Launch day", tz="UTC")

    async def failed() -> bool:
        return (await rt.posts.get(refused.id)).status == "failed"

    await wait_for(failed)
    set_clock(rt, T0)
    await scheduler.schedule(ws.id, "in 2 days to mastodon: Webinar reminder", tz="UTC")
    await scheduler.schedule(ws.id, "in 10 days to mastodon: Far off", tz="UTC")
    mastodon.tokens.clear()

    digest = await weekly_digest(rt, ws.id)
    text = digest.text("UTC")
    assert [p.content for p in digest.upcoming] == ["Webinar reminder"]
    assert "The week ahead: 1 post scheduled" in text
    assert "Wed 09 Dec 08:00 → mastodon:@outpost@fake.social: Webinar reminder" in text
    assert "Far off" not in text
    assert [p.id for p in digest.failed] == [refused.id]
    assert "Last week: 1 post did not fully go out" in text
    assert "mastodon:@outpost@fake.social: Mastodon answered 422: Validation failed" in text
    assert "Accounts needing attention:" in text
    assert f"{rt.settings.base_url}/connect/mastodon?link=" in text
    assert "good-token" not in text


async def test_a_chat_that_opted_in_gets_the_digest_once_a_week(
    chat: Chat, mastodon: FakeMastodon
) -> None:
    rt = chat.rt
    set_clock(rt, T0)
    ws = await rt.workspaces.ensure(f"slack:{TEAM}")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    talk = Conversation(rt)
    here = ChatContext(platform="slack", team_id=TEAM, user_id="U1", user_tz="UTC",
                       origin={"channel": CHANNEL, "thread_ts": "1.2"})  # fmt: skip
    elsewhere = replace(here, origin={"channel": "C0OTHER"})
    await talk.handle(here, "in 2 days to mastodon: Webinar reminder")
    assert "Every Monday" in (await talk.handle(here, "digest on")).text
    await talk.handle(elsewhere, "digest on")
    assert "No more" in (await talk.handle(elsewhere, "digest off")).text

    assert await send_digests(rt) == 1
    assert await send_digests(rt) == 0  # once a week
    [digest] = [m for m in chat.slack.messages if "The week ahead" in m["text"]]
    assert digest["channel"] == CHANNEL
    assert digest["thread_ts"] is None  # a message of its own, not a reply in a thread
    assert "Webinar reminder" in digest["text"]
    assert "Accounts needing attention" not in digest["text"]  # the account is fine

    set_clock(rt, T0 + timedelta(days=7))
    assert await send_digests(rt) == 1


async def test_the_digest_is_written_in_the_chats_language(
    chat: Chat, mastodon: FakeMastodon
) -> None:
    rt = chat.rt
    set_clock(rt, T0)
    ws = await rt.workspaces.ensure(f"slack:{TEAM}")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    talk = Conversation(rt)
    here = ChatContext(platform="slack", team_id=TEAM, user_id="U1", user_tz="UTC",
                       origin={"channel": CHANNEL})  # fmt: skip
    await talk.handle(here, "in 2 days to mastodon: Webinar reminder")
    await talk.handle(here, "language es")
    assert (await talk.handle(here, "digest on")).text.startswith("Cada lunes publicaré aquí")
    assert await send_digests(rt) == 1
    [digest] = [m for m in chat.slack.messages if "semana que viene" in m["text"]]
    assert digest["text"].startswith("📅 La semana que viene: 1 publicación programada\n")
    assert "• mié 09 dic 08:00 → mastodon:@outpost@fake.social: Webinar reminder" in (
        digest["text"]
    )
    assert "❌ La semana pasada: 0 publicaciones no salieron del todo" in digest["text"]
