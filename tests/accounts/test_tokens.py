"""Token refresh (before expiry, after a 401, one at a time), reconnect, encryption at rest."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta

import asyncpg
import pytest
from pydantic import SecretStr

from core.crypto import TokenCipher
from publishers.base import PublishRequest
from publishers.errors import AuthRevoked
from publishers.linkedin import LinkedInPublisher
from scheduler.accounts.access import (
    account_store,
    ensure_fresh,
    publish_fresh,
    refresh_after_401,
    rotate_keys,
)
from scheduler.requests import publish_request
from scheduler.runtime import Runtime, open_runtime
from storage.db import _plain_dsn
from storage.views import AccountView, NewPost, PostView
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer
from tests.support import TEST_DB


async def _account(
    runtime: Runtime, linkedin: FakeLinkedIn, auth: FakeAuthServer, expires_in: float
) -> AccountView:
    ws = await runtime.workspaces.create("acme")
    auth.refresh_tokens.add("rt-seed")
    auth.refresh_scopes["rt-seed"] = "openid profile w_member_social w_organization_social"
    return await account_store(runtime).connect(
        ws.id,
        "linkedin",
        "acme-corp",
        runtime.cipher.encrypt("li-token"),
        refresh_token_enc=runtime.cipher.encrypt("rt-seed"),
        expires_at=runtime.clock.now() + timedelta(seconds=expires_in),
        base_url=linkedin.url,
        settings={"author": f"urn:li:organization:{linkedin.org_id}", "web_url": linkedin.url},
    )


async def test_fresh_token_is_left_alone(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    account = await _account(runtime, linkedin, li_auth, expires_in=3600)
    assert (await ensure_fresh(runtime, account)).access_token_enc == account.access_token_enc
    assert li_auth.refreshes == 0


async def test_many_workers_refresh_once_and_store_the_rotated_token(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    account = await _account(runtime, linkedin, li_auth, expires_in=60)
    li_auth.latency = 0.2  # hold the lock long enough for the others to queue behind it
    fresh = await asyncio.gather(*(ensure_fresh(runtime, account) for _ in range(6)))
    assert li_auth.refreshes == 1
    assert len({runtime.cipher.decrypt(a.access_token_enc) for a in fresh}) == 1
    row = await account_store(runtime).tokens(account.id)
    assert row is not None
    assert row.refresh_token_enc is not None
    rotated = runtime.cipher.decrypt(row.refresh_token_enc)
    assert rotated != "rt-seed"
    assert rotated in li_auth.refresh_tokens
    assert "rt-seed" not in li_auth.refresh_tokens
    assert row.expires_at is not None
    assert row.expires_at > runtime.clock.now() + timedelta(hours=0.9)


async def test_401_refreshes_once_then_publishes(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    account = await _account(runtime, linkedin, li_auth, expires_in=3600)
    linkedin.tokens.discard("li-token")  # revoked early, though not yet expired
    publisher = LinkedInPublisher(runtime.http, timeout=2.0)
    post = await _post(runtime, account)

    def build(acc: AccountView) -> PublishRequest:
        return publish_request(post, post.destinations[0], acc, (), cipher=runtime.cipher)

    receipt = await publish_fresh(runtime, publisher, account, build)
    assert receipt.remote_id == linkedin.posts[0]["id"]
    assert li_auth.refreshes == 1
    used = [r.headers["Authorization"] for r in linkedin.requests]
    assert used[0] == "Bearer li-token"
    assert used[-1] != "Bearer li-token"


async def _post(runtime: Runtime, account: AccountView) -> PostView:
    new = NewPost(
        workspace_id=account.workspace_id,
        user_id=None,
        content="Hello from Outpost",
        scheduled_at=runtime.clock.now() + timedelta(hours=1),
        timezone="UTC",
        account_ids=(account.id,),
    )
    return await runtime.posts.create(new)


async def test_refused_refresh_marks_reconnect_and_fails_pending_posts(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    account = await _account(runtime, linkedin, li_auth, expires_in=30)
    post = await _post(runtime, account)
    li_auth.refuse_refresh = True
    with pytest.raises(AuthRevoked) as caught:
        await ensure_fresh(runtime, account)
    assert "Reconnect linkedin acme-corp" in caught.value.message
    assert "rt-" not in caught.value.message
    [stored] = await runtime.workspaces.accounts(account.workspace_id)
    assert stored.status == "reconnect"
    view = await runtime.posts.get(post.id)
    assert view.status == "failed"
    assert view.destinations[0].error_code == "auth_revoked"
    assert "Reconnect" in (view.destinations[0].error_message or "")
    with pytest.raises(AuthRevoked):  # a marked account is not tried again
        await ensure_fresh(runtime, stored)
    assert li_auth.refreshes == 1


async def test_401_without_a_refresh_token_marks_reconnect(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    ws = await runtime.workspaces.create("acme")
    account = await account_store(runtime).connect(
        ws.id, "facebook", "acme", runtime.cipher.encrypt("page-token"), base_url=linkedin.url
    )
    with pytest.raises(AuthRevoked):
        await refresh_after_401(runtime, account, AuthRevoked("Facebook refused the token"))
    [stored] = await runtime.workspaces.accounts(ws.id)
    assert stored.status == "reconnect"


async def _raw_rows() -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return list(await conn.fetch("SELECT access_token, refresh_token FROM social_accounts"))
    finally:
        await conn.close()


async def test_tokens_are_unreadable_in_a_dump_and_rotation_re_encrypts(
    runtime: Runtime, linkedin: FakeLinkedIn, li_auth: FakeAuthServer
) -> None:
    await _account(runtime, linkedin, li_auth, expires_in=3600)
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--table=social_accounts", _plain_dsn(TEST_DB)],
        capture_output=True,
        text=True,
        check=False,
    )
    text = dump.stdout if dump.returncode == 0 else str(await _raw_rows())
    assert "li-token" not in text
    assert "rt-seed" not in text
    old_key = runtime.settings.encryption_keys.get_secret_value()
    new_key = TokenCipher.generate_key()
    # The operator puts the new key first in ENCRYPTION_KEYS and runs `outpost keys rotate`.
    keys = SecretStr(f"{new_key},{old_key}")
    rotated = runtime.settings.model_copy(update={"encryption_keys": keys})
    before = await _raw_rows()
    async with open_runtime(rotated, pool_size=2) as operator:
        assert await rotate_keys(operator) == 1
    after = await _raw_rows()
    assert before[0]["access_token"] != after[0]["access_token"]
    only_new = TokenCipher([new_key])  # the old key can now be dropped
    assert only_new.decrypt(after[0]["access_token"]) == "li-token"
    assert only_new.decrypt(after[0]["refresh_token"]) == "rt-seed"
