"""The queue through the real chat adapters: slots across a daylight-saving change in two
zones, filling slots in order, ``move ID up``, pulling forward on cancel, roles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from app.process import Process
from core.states import PostStatus
from scheduler.runtime import Runtime
from storage.views import PostView
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.plans.conftest import set_role
from tests.queue.conftest import ask
from tests.slack.conftest import TEAM, USER, SlackHarness
from tests.support import set_clock
from tests.telegram.updates import GROUP, Updates, connect_mastodon, group, post, replies
from tests.telegram.updates import USER as TG_USER

NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
ACCOUNT = "mastodon:@outpost@fake.social"


async def queued_posts(rt: Runtime, workspace: str) -> list[PostView]:
    ws = await rt.workspaces.by_name(workspace)
    return await rt.posts.search(ws.id, statuses=("scheduled",))


def local(posts: list[PostView], zone: ZoneInfo) -> list[str]:
    return [p.scheduled_at.astimezone(zone).strftime("%a %d %H:%M %Z") for p in posts]


async def test_slack_queue_fills_slots_across_new_yorks_spring_change(
    slack: SlackHarness, mastodon: FakeMastodon
) -> None:
    rt = slack.rt
    ws = await rt.workspaces.ensure(f"slack:{TEAM}", "America/New_York")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    # Wednesday 10 March 2027, 10:00 in New York; clocks spring forward on Sunday the 14th.
    set_clock(rt, datetime(2027, 3, 10, 15, tzinfo=UTC))
    refused = await ask(slack, "queue to mastodon: Too early")
    assert f"{ACCOUNT} has no queue slots" in refused
    assert "`slots mastodon mon-fri 9:00`" in refused
    said = await ask(slack, "slots mon-fri 9:00")
    assert "Queue slots for workspace (America/New_York): mon 09:00 · tue 09:00" in said
    assert "workspace: mon 09:00" in await ask(slack, "slots")
    for n in range(1, 5):
        said = await ask(slack, f"queue to mastodon: Tip {n}")
        assert f"Tip {n}" in said
    posts = await queued_posts(rt, f"slack:{TEAM}")
    assert [p.content for p in posts] == ["Tip 1", "Tip 2", "Tip 3", "Tip 4"]
    assert local(posts, NY) == [
        "Thu 11 09:00 EST", "Fri 12 09:00 EST", "Mon 15 09:00 EDT", "Tue 16 09:00 EDT",
    ]  # fmt: skip
    assert [p.scheduled_at.hour for p in posts] == [14, 14, 13, 13]  # UTC moved, local did not
    assert all(p.queued for p in posts)
    assert all(d.due_at == p.scheduled_at for p in posts for d in p.destinations)
    tip1, tip2, tip3, _tip4 = posts

    # ``move ID up``: Tip 3 swaps with Tip 2, both rescheduled (new revisions, new due times).
    said = await ask(slack, f"move {str(tip3.id)[:8]} up")
    assert "Moved: Tip 3" in said
    moved = {p.content: p for p in await queued_posts(rt, f"slack:{TEAM}")}
    assert moved["Tip 3"].scheduled_at == tip2.scheduled_at
    assert moved["Tip 2"].scheduled_at == tip3.scheduled_at
    assert moved["Tip 3"].revision > tip3.revision
    assert moved["Tip 2"].revision > tip2.revision
    assert moved["Tip 3"].destinations[0].revision > tip3.destinations[0].revision
    assert moved["Tip 3"].destinations[0].due_at == tip2.scheduled_at
    assert "already first" in await ask(slack, f"move {str(tip1.id)[:8]} up")

    # Cancelling Tip 1 with pull-forward on moves each later post up one slot.
    assert "move up a slot each" in await ask(slack, "queue pull forward on")
    await ask(slack, f"cancel {tip1.id}")
    after = await queued_posts(rt, f"slack:{TEAM}")
    assert [p.content for p in after] == ["Tip 3", "Tip 2", "Tip 4"]
    assert [p.scheduled_at for p in after] == [p.scheduled_at for p in posts[:3]]
    assert all(d.due_at == p.scheduled_at for p in after for d in p.destinations)

    # Only owners and admins set slots; editors still queue.
    await set_role(USER, "editor")
    assert "Only this workspace's owners and admins" in await ask(slack, "slots clear")
    assert "Tip 5" in await ask(slack, "queue to mastodon: Tip 5")
    assert mastodon.statuses == []


async def test_telegram_queue_in_berlin_and_a_day_without_an_hour(
    tg: Process, tg_client: TestClient[Any, Any], telegram: FakeTelegram, mastodon: FakeMastodon
) -> None:
    rt, updates = tg.runtime, Updates()
    name = f"telegram:{GROUP}"
    telegram.add_chat(GROUP, "supergroup", title="Launch team")
    telegram.set_member(GROUP, TG_USER, "administrator")
    await rt.workspaces.ensure(name, "Europe/Berlin")
    await connect_mastodon(rt, name, mastodon.url)
    # Wednesday 24 March 2027, 14:00 in Berlin; clocks spring forward on Sunday the 28th.
    set_clock(rt, datetime(2027, 3, 24, 13, tzinfo=UTC))

    async def said(text: str) -> str:
        before = len(replies(telegram, GROUP))
        # In a group the bot answers commands only: ``/slots …``, ``/schedule …``.
        await post(tg_client, updates.message(text="/" + text, chat=group()))
        return "\n".join(r["text"] for r in replies(telegram, GROUP)[before:])

    await said("slots sat 10:00")  # the workspace's: the account's own win over them
    shown = await said("slots mastodon mon-fri 9:00, 13:00")
    assert f"Queue slots for {ACCOUNT} (Europe/Berlin)" in shown
    for n in range(1, 6):
        assert f"Post {n}" in await said(f"schedule next slot to mastodon: Post {n}")
    posts = await queued_posts(rt, name)
    assert local(posts, BERLIN) == [
        "Thu 25 09:00 CET", "Thu 25 13:00 CET", "Fri 26 09:00 CET", "Fri 26 13:00 CET",
        "Mon 29 09:00 CEST",
    ]  # fmt: skip
    assert posts[-1].scheduled_at == datetime(2027, 3, 29, 7, tzinfo=UTC)
    # A day without an hour takes that day's first free slot, or says the day is full.
    full = await said("schedule friday to mastodon: Weekend")
    assert "No queue slot is free on every destination" in full
    await said("schedule monday to mastodon: Monday")
    monday = [p for p in await queued_posts(rt, name) if p.content == "Monday"]
    assert local(monday, BERLIN) == ["Mon 29 13:00 CEST"]
    listed = await said("slots")
    assert "workspace: sat 10:00" in listed
    assert f"{ACCOUNT}: mon 09:00, 13:00" in listed
    assert "No queue slots for" in await said("slots mastodon clear")
    # The account now uses the workspace's Saturday slot.
    await said("schedule queue to mastodon: Saturday")
    saturday = [p for p in await queued_posts(rt, name) if p.content == "Saturday"]
    assert local(saturday, BERLIN) == ["Sat 27 10:00 CET"]
    assert all(p.status == PostStatus.SCHEDULED for p in posts)
