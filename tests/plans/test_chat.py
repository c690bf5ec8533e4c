"""Channel defaults and plan limits through the real Slack and Telegram adapters (fake APIs)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from app.process import Process, open_process
from core.settings import Settings
from scheduler.channels import channel_approver, post_channel_approver
from scheduler.plans import set_plan
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.helpers import count_rows
from tests.plans.conftest import media_files, set_role
from tests.slack.conftest import (  # noqa: F401  (fixtures)
    CHANNEL,
    TEAM,
    USER,
    SlackHarness,
    _harness,
    fake_slack,
    slack_settings,
)
from tests.support import wait_for
from tests.telegram.conftest import (  # noqa: F401  (fixtures)
    _empty_own_tables,
    client,
    telegram,
    telegram_settings,
    tg_runtime,
    tg_services,
)
from tests.telegram.updates import GROUP, Updates, connect_mastodon, group, post, replies
from tests.telegram.updates import USER as TG_USER

OTHER_USER, THIRD_USER, OTHER_CHANNEL = "U0000BBB2", "U0000CCC3", "C0RANDOM02"
WORKSPACE = f"slack:{TEAM}"


@pytest.fixture
async def slack(
    settings: Settings, fake_slack: FakeSlack, plans_file: Path  # noqa: F811
) -> AsyncIterator[SlackHarness]:
    fake_slack.add_user(OTHER_USER)
    fake_slack.add_user(THIRD_USER)
    custom = slack_settings(settings, fake_slack, plans_file=plans_file)
    async for harness in _harness(custom, fake_slack):
        yield harness


@pytest.fixture
async def tg_process(
    settings: Settings, telegram: FakeTelegram, plans_file: Path  # noqa: F811
) -> AsyncIterator[Process]:
    await _empty_own_tables()
    async with open_process(telegram_settings(settings, telegram, plans_file=plans_file)) as made:
        yield made


@pytest.fixture
async def connected(slack: SlackHarness, mastodon: FakeMastodon) -> SlackHarness:
    rt = slack.rt
    ws = await rt.workspaces.ensure(WORKSPACE, "Europe/Berlin")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    await rt.workspaces.add_account(
        ws.id, "webhook", "zapier", rt.cipher.encrypt("s"), base_url="https://hooks.example.com"
    )
    return slack


async def ask(slack: SlackHarness, text: str, **kw: Any) -> str:
    """Send ``/schedule text`` and wait for its ephemeral answer; its text."""
    count = len(slack.fake.responses)
    await slack.command(text, **kw)

    async def answered() -> bool:
        return len(slack.fake.responses) > count

    await wait_for(answered, timeout=20)
    return str(slack.fake.responses[count]["text"])


def tomorrow_at_9(zone: str) -> datetime:
    local = datetime.now(ZoneInfo(zone)) + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


async def test_a_channel_with_defaults_schedules_tomorrow_9am_hi(connected: SlackHarness) -> None:
    slack, rt = connected, connected.rt
    await ask(slack, "posts")  # first contact syncs the member
    await set_role(USER, "admin")
    said = await ask(slack, "defaults to mastodon")
    assert "mastodon:@outpost@fake.social" in said
    assert "Europe/Berlin" not in said
    said = await ask(slack, "defaults timezone America/New_York")
    assert "America/New_York" in said
    said = await ask(slack, f"defaults approver <@{USER}>")
    assert f"approved by User {USER}" in said
    await slack.command("tomorrow 9am: hi")

    async def summary() -> bool:
        return bool(slack.fake.messages)

    await wait_for(summary, timeout=20)
    ws = await rt.workspaces.by_name(WORKSPACE)
    [stored] = await rt.posts.search(ws.id)
    assert stored.content == "hi"
    assert [(d.platform, d.handle) for d in stored.destinations] == [
        ("mastodon", "@outpost@fake.social")
    ]
    # The member's own zone is Europe/Berlin (users.info); the channel's wins here.
    assert stored.scheduled_at == tomorrow_at_9("America/New_York")
    assert stored.timezone == "America/New_York"
    # The post remembers its chat, so approval finds the chat's approver.
    me = await rt.workspaces.known_member(WORKSPACE, "slack", TEAM, USER)
    assert me is not None
    assert await post_channel_approver(rt, stored) == me[1]
    assert "09:00 E" in slack.fake.messages[0]["text"]  # shown in the channel's zone (EST/EDT)
    # Shown by `defaults`, `help` and `accounts` (with the plan and its usage).
    shown = await ask(slack, "defaults")
    assert "mastodon:@outpost@fake.social" in shown
    assert "America/New_York" in shown
    assert "America/New_York" in await ask(slack, "help")
    accounts = await ask(slack, "accounts")
    assert "Plan: unlimited — accounts 2, posts this month 1, members 1" in accounts
    assert "mastodon:@outpost@fake.social" in accounts.rsplit("Plan:", 1)[1]

    # Another channel has no defaults: still asked where to post, nothing stored.
    said = await ask(slack, "tomorrow 9am: hi", channel=OTHER_CHANNEL)
    assert "found no destination" in said
    assert await count_rows("scheduled_posts") == 1


async def test_only_owners_and_admins_change_defaults(connected: SlackHarness) -> None:
    slack, rt = connected, connected.rt
    await ask(slack, "posts")
    await ask(slack, "posts", user=OTHER_USER)
    said = await ask(slack, "defaults to mastodon", user=OTHER_USER)
    assert "Only this workspace's owners and admins" in said
    assert await count_rows("channel_defaults") == 0
    await set_role(USER, "owner")
    said = await ask(slack, f"defaults approver <@{OTHER_USER}>")
    assert f"User {OTHER_USER}" in said
    ws = await rt.workspaces.by_name(WORKSPACE)
    other = await rt.workspaces.known_member(WORKSPACE, "slack", TEAM, OTHER_USER)
    assert other is not None
    assert await channel_approver(rt, ws.id, "slack", CHANNEL) == other[1]
    said = await ask(slack, "defaults approver @nobody")
    assert "I don't know “@nobody”" in said
    assert "no defaults now" in await ask(slack, "defaults clear")
    assert await count_rows("channel_defaults") == 0


async def test_members_and_posts_limits_in_slack(connected: SlackHarness) -> None:
    slack, rt = connected, connected.rt
    await set_plan(rt, WORKSPACE, "tiny")  # 2 members, 2 posts a month
    await ask(slack, "posts")
    await ask(slack, "posts", user=OTHER_USER)
    said = await ask(slack, "posts", user=THIRD_USER)
    assert "This workspace's tiny plan allows 2 members; the bigger plan allows 5." in said
    # Nothing of the refused member was written: no user, no identity, no membership.
    assert (await count_rows("users"), await count_rows("chat_identities")) == (2, 2)
    assert await count_rows("workspace_members") == 2

    for n in range(2):
        await slack.command(f"tomorrow 9am to mastodon: post {n}")
    said = await ask(slack, "tomorrow 10am to mastodon: one too many")
    assert "tiny plan allows 2 scheduled posts a month; the bigger plan allows 10." in said
    assert "outpost workspace plan slack:T0001 bigger" in said
    assert await count_rows("scheduled_posts") == 2
    accounts = await ask(slack, "accounts")
    assert "Plan: tiny — accounts 2/2, posts this month 2/2, members 2/2" in accounts


async def test_a_telegram_group_with_defaults_schedules_tomorrow_9am_hi(
    client: TestClient[Any, Any], telegram: FakeTelegram, tg_runtime: Runtime,  # noqa: F811
    mastodon: FakeMastodon,
) -> None:  # fmt: skip
    updates = Updates()
    telegram.add_chat(GROUP, "supergroup", title="Launch team")
    telegram.set_member(GROUP, TG_USER, "administrator")
    await connect_mastodon(tg_runtime, f"telegram:{GROUP}", mastodon.url)
    async def said(text: str) -> str:
        before = len(replies(telegram, GROUP))
        await post(client, updates.message(text=text, chat=group()))
        return "\n".join(r["text"] for r in replies(telegram, GROUP)[before:])

    assert "found no destination" in await said("/schedule tomorrow 9am: hi")
    # The group's first admin to write owns it (scheduler.roles): made an editor, refused.
    await set_role(str(TG_USER), "editor")
    assert "Only this workspace's owners and admins" in await said("/defaults to mastodon")
    await set_role(str(TG_USER), "admin")
    assert "mastodon:@outpost@fake.social" in await said("/defaults to mastodon")
    assert "Asia/Tokyo" in await said("/defaults timezone Asia/Tokyo")
    # Telegram has no mention syntax for ids: a member is named as the chat shows them.
    assert "approved by Ada" in await said("/defaults approver Ada")
    assert "Scheduled for" in await said("/schedule tomorrow 9am: hi")
    ws = await tg_runtime.workspaces.by_name(f"telegram:{GROUP}")
    [stored] = await tg_runtime.posts.search(ws.id)
    assert [d.platform for d in stored.destinations] == ["mastodon"]
    assert stored.scheduled_at == tomorrow_at_9("Asia/Tokyo")


async def test_a_telegram_upload_over_the_plan_is_refused_and_nothing_is_stored(
    client: TestClient[Any, Any], telegram: FakeTelegram, tg_runtime: Runtime,  # noqa: F811
    mastodon: FakeMastodon,
) -> None:  # fmt: skip
    await connect_mastodon(tg_runtime, f"telegram:{TG_USER}", mastodon.url)
    await set_plan(tg_runtime, f"telegram:{TG_USER}", "tiny")  # files up to 0.01 MB
    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert len(data) > 0.01 * 2**20
    file_id = telegram.add_file(data)
    update = Updates().message(caption="tomorrow 9am to mastodon: Big photo",
                               photo=(file_id, len(data)))  # fmt: skip
    await post(client, update)
    said = "\n".join(r["text"] for r in replies(telegram, TG_USER))
    assert "This workspace's tiny plan takes files up to 0.01 MB; the bigger plan allows 1." in said
    assert (await count_rows("media_library"), await count_rows("scheduled_posts")) == (0, 0)
    assert media_files(tg_runtime.settings) == []
