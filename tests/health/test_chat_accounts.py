"""The chat command ``accounts`` asks each account's network, and says what to do."""

from __future__ import annotations

from bot.conversation import ChatContext, Conversation
from scheduler.runtime import Runtime
from tests.fakes.mastodon import FakeMastodon


async def test_accounts_command_reports_reconnect_with_a_link(
    runtime: Runtime, mastodon: FakeMastodon
) -> None:
    ws = await runtime.workspaces.ensure("slack:T1")
    await runtime.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", runtime.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )  # fmt: skip
    talk = Conversation(runtime)
    ctx = ChatContext(platform="slack", team_id="T1", user_id="U1", origin={"channel": "C1"})
    fine = await talk.handle(ctx, "accounts")
    assert "mastodon:@outpost@fake.social — ok" in fine.text
    assert fine.private

    mastodon.tokens.clear()
    broken = await talk.handle(ctx, "accounts")
    assert "mastodon:@outpost@fake.social — ⚠️ reconnect:" in broken.text
    assert f"{runtime.settings.base_url}/connect/mastodon?link=" in broken.text
    assert "good-token" not in broken.text
    asked = [r.path for r in mastodon.requests if r.path.endswith("verify_credentials")]
    assert len(asked) == 2
    assert mastodon.statuses == []
