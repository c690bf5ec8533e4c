"""``/schedule invite …`` from Slack: refused for a plain member, stored for an admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.settings import Settings
from scheduler.plans import set_plan
from storage.db import _plain_dsn
from tests.fakes.slack import FakeSlack
from tests.fakes.supabase import SERVICE_KEY, FakeSupabase
from tests.helpers import count_rows
from tests.plans.conftest import PLANS
from tests.slack.conftest import TEAM, SlackHarness, _harness, slack_settings
from tests.support import TEST_DB, wait_for
from tests.web.signin_support import set_role


@pytest.fixture
async def slack_supa(
    settings: Settings, fake_slack: FakeSlack, supa: FakeSupabase
) -> AsyncIterator[SlackHarness]:
    custom = slack_settings(
        settings, fake_slack, supabase_url=supa.url, supabase_service_role_key=SERVICE_KEY
    )
    async for harness in _harness(custom, fake_slack):
        yield harness


async def _answer(slack: SlackHarness, text: str) -> str:
    count = len(slack.fake.responses)
    await slack.command(text)

    async def answered() -> bool:
        return len(slack.fake.responses) > count

    await wait_for(answered, timeout=20)
    reply: dict[str, Any] = slack.fake.responses[-1]
    return str(reply["text"])


async def test_only_owners_and_admins_invite_from_slack(slack_supa: SlackHarness) -> None:
    slack = slack_supa
    await _answer(slack, "help")  # first contact: with one bot token the first member owns it
    ws = await slack.rt.workspaces.by_name(f"slack:{TEAM}")
    await set_role(ws.id, await _the_only_member(ws.id), "editor")
    refused = await _answer(slack, "invite bo@example.com editor")
    assert "owners and admins" in refused
    assert await count_rows("invitations") == 0
    ws = await slack.rt.workspaces.by_name(f"slack:{TEAM}")
    user_id = await _the_only_member(ws.id)
    await set_role(ws.id, user_id, "owner")
    made = await _answer(slack, "invite Bo@Example.com editor")
    assert "Invited Bo@Example.com as editor" in made
    [invitation] = await slack.rt.signin.pending(ws.id, slack.rt.clock.now())
    assert (invitation.email, invitation.role) == ("Bo@Example.com", "editor")
    assert "admin, editor or viewer" in await _answer(slack, "invite bo@example.com boss")
    assert await count_rows("invitations") == 1


async def _the_only_member(workspace_id: uuid.UUID) -> uuid.UUID:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        found: uuid.UUID = await conn.fetchval(
            "SELECT user_id FROM workspace_members WHERE workspace_id = $1", workspace_id
        )
    finally:
        await conn.close()
    return found


@pytest.fixture
async def slack_tiny(
    settings: Settings, fake_slack: FakeSlack, supa: FakeSupabase, tmp_path: Path
) -> AsyncIterator[SlackHarness]:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS)  # tiny: 2 members
    custom = slack_settings(
        settings, fake_slack, supabase_url=supa.url, supabase_service_role_key=SERVICE_KEY,
        plans_file=plans,
    )  # fmt: skip
    async for harness in _harness(custom, fake_slack):
        yield harness


async def test_open_invitations_count_against_the_plans_members(slack_tiny: SlackHarness) -> None:
    slack = slack_tiny
    await _answer(slack, "help")  # the first contact makes the workspace and its member
    ws = await slack.rt.workspaces.by_name(f"slack:{TEAM}")
    await set_role(ws.id, await _the_only_member(ws.id), "owner")
    await set_plan(slack.rt, ws.name, "tiny")
    assert "Invited bo@example.com" in await _answer(slack, "invite bo@example.com")
    refused = await _answer(slack, "invite cy@example.com")
    assert "tiny plan allows 2 members" in refused
    assert await count_rows("invitations") == 1
