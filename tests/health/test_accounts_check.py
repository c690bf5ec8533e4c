"""``outpost accounts check``: each account's network is asked who it is; nothing is posted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from scheduler.runtime import Runtime
from tests.fakes import FakeMastodon
from tests.fakes.linkedin import FakeLinkedIn
from tests.support import env_for
from tests.test_run_networks import outpost


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


async def _connect(rt: Runtime, mastodon: FakeMastodon, linkedin: FakeLinkedIn) -> None:
    ws = await rt.workspaces.create("acme", "UTC")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    await rt.workspaces.add_account(
        ws.id, "linkedin", "acme-corp", rt.cipher.encrypt("li-token"), base_url=linkedin.url,
        settings={"author": f"urn:li:organization:{linkedin.org_id}"},
    )  # fmt: skip


async def test_healthy_accounts_are_ok(
    runtime: Runtime, settings: Settings, mastodon: FakeMastodon, linkedin: FakeLinkedIn
) -> None:
    await _connect(runtime, mastodon, linkedin)
    done = await outpost(env_for(settings), "accounts", "check", "--workspace", "acme")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert all(": ok (" in line for line in lines), lines
    assert mastodon.statuses == []
    assert linkedin.posts == []


async def test_revoked_token_is_reconnect_and_retired_version_needs_an_update(
    runtime: Runtime, settings: Settings, mastodon: FakeMastodon, linkedin: FakeLinkedIn
) -> None:
    await _connect(runtime, mastodon, linkedin)
    mastodon.tokens.clear()  # the user revoked Outpost in the instance's settings
    # 202411 was sunset on 2025-11-17: LinkedIn answers 426 NONEXISTENT_VERSION.
    env = env_for(settings, LINKEDIN_VERSION="202411")
    done = await outpost(env, "accounts", "check", "--workspace", "acme")
    assert done.returncode == 1, done.stdout + done.stderr
    by_platform = {line.split("\t")[1].split(":")[0]: line for line in done.stdout.splitlines()}
    assert ": reconnect (" in by_platform["mastodon"]
    assert f"{settings.base_url}/connect/mastodon?link=" in by_platform["mastodon"]
    assert "good-token" not in done.stdout
    assert ": needs an update (" in by_platform["linkedin"]
    assert "not active" in by_platform["linkedin"]  # LinkedIn's own words
    assert "/connect/" not in by_platform["linkedin"]  # reconnecting would not help
    assert mastodon.statuses == []
    assert linkedin.posts == []
