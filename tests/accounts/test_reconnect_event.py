"""An account marked to reconnect tells the workspace's endpoints: ``account.needs_reconnect``,
signed, naming the account, the reason and the posts that failed with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from publishers.errors import AuthRevoked
from scheduler.accounts.access import account_store, ensure_fresh
from scheduler.runtime import Runtime
from storage.views import NewPost
from tests.callback_support import delivering, listen, received
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from webhooks.openapi import problems


async def test_refused_refresh_sends_a_signed_account_needs_reconnect(
    runtime: Runtime,
    linkedin: FakeLinkedIn,
    li_auth: FakeAuthServer,
    receiver: FakeWebhookReceiver,
) -> None:
    ws = await runtime.workspaces.create("acme")
    li_auth.refresh_tokens.add("rt-seed")
    account = await account_store(runtime).connect(
        ws.id, "linkedin", "acme-corp", runtime.cipher.encrypt("li-token"),
        refresh_token_enc=runtime.cipher.encrypt("rt-seed"),
        expires_at=runtime.clock.now() + timedelta(seconds=30), base_url=linkedin.url,
        settings={"author": f"urn:li:organization:{linkedin.org_id}", "web_url": linkedin.url},
    )  # fmt: skip
    post = await runtime.posts.create(
        NewPost(
            workspace_id=ws.id,
            user_id=None,
            content="Hello from Outpost",
            scheduled_at=runtime.clock.now() + timedelta(hours=1),
            timezone="UTC",
            account_ids=(account.id,),
        )
    )
    await listen(runtime, ws.id, receiver)
    li_auth.refuse_refresh = True
    async with delivering(runtime):
        with pytest.raises(AuthRevoked):
            await ensure_fresh(runtime, account)
        [event] = await received(receiver, "account.needs_reconnect")
    data = event["data"]
    assert data["account_id"] == str(account.id)
    assert (data["platform"], data["handle"]) == ("linkedin", "acme-corp")
    assert "Reconnect linkedin acme-corp" in data["reason"]
    assert "rt-" not in data["reason"]  # no token in what leaves the building
    assert data["failed_post_ids"] == [str(post.id)]
    assert problems("AccountEvent", event) == []  # the body the OpenAPI document promises
