"""Threads: the code's short-lived token becomes a 60-day one at connect time and is renewed
with th_refresh_token in its last week; a refused renewal marks the account to reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import aiohttp
import asyncpg
import pytest

from publishers.base import PublishRequest
from publishers.errors import AuthRevoked
from publishers.threads import ThreadsPublisher
from scheduler.accounts.access import account_store, connect_link, ensure_fresh, publish_fresh
from scheduler.requests import publish_request
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from storage.views import AccountView, NewPost, PostView
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.threads import LONG_LIVED_SECONDS, FakeThreads
from tests.support import TEST_DB

DAY = 86_400.0


async def _connect(
    runtime: Runtime, browser: aiohttp.ClientSession, threads: FakeThreads
) -> AccountView:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "threads")) as resp:
        assert resp.status == 200, await resp.text()
    [account] = await runtime.workspaces.accounts(ws.id)
    return account


async def _expire_in(account: AccountView, delta: timedelta) -> None:
    """Move the stored expiry, as if the token had been issued long ago."""
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(
            "UPDATE social_accounts SET token_expires_at = now() + $1 WHERE id = $2",
            delta,
            account.id,
        )
    finally:
        await conn.close()


async def test_connect_stores_a_sixty_day_token(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    threads: FakeThreads,
    th_auth: FakeAuthServer,
) -> None:
    account = await _connect(runtime, browser, threads)
    assert (account.platform, account.handle) == ("threads", threads.username)
    [code_call] = [r for r in th_auth.requests if r.path == "/token"]
    assert code_call.form is not None
    short = next(t for t in threads.tokens if t.startswith("th-") and t not in threads.long_lived)
    [exchange] = [r for r in threads.requests if r.path == "/access_token"]
    assert exchange.method == "GET"
    assert exchange.query == {
        "grant_type": "th_exchange_token",
        "client_secret": th_auth.client_secret,
        "access_token": short,
    }
    stored = runtime.cipher.decrypt(account.access_token_enc)
    assert stored in threads.long_lived
    assert stored != short
    row = await account_store(runtime).tokens(account.id)
    assert row is not None
    assert row.refresh_token_enc is None  # Threads has none; the token renews itself
    assert row.expires_at is not None
    expected = runtime.clock.now() + timedelta(seconds=LONG_LIVED_SECONDS)
    assert abs((row.expires_at - expected).total_seconds()) < 60
    # The short-lived token's hour passes; the stored one still posts.
    threads.expire(short)
    publisher = ThreadsPublisher(runtime.http, timeout=2.0)
    post = await _post(runtime, account)
    receipt = await publish_fresh(runtime, publisher, account, _builder(runtime, post))
    assert receipt.remote_id == threads.posts[0]["id"]
    assert threads.refreshes == 0


async def test_token_is_renewed_once_in_its_last_week(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    threads: FakeThreads,
    th_auth: FakeAuthServer,
) -> None:
    account = await _connect(runtime, browser, threads)
    old = runtime.cipher.decrypt(account.access_token_enc)
    # Eight days left: not yet.
    await _expire_in(account, timedelta(days=8))
    assert (await ensure_fresh(runtime, account)).access_token_enc == account.access_token_enc
    assert threads.refreshes == 0
    # Five days left (the token is 55 days old): renewed, once, whatever the number of workers.
    await _expire_in(account, timedelta(days=5))
    threads.age(old, 55 * DAY)
    threads.latency = 0.2
    fresh = await asyncio.gather(*(ensure_fresh(runtime, account) for _ in range(5)))
    assert threads.refreshes == 1
    [refresh] = [r for r in threads.requests if r.path == "/refresh_access_token"]
    assert refresh.query == {"grant_type": "th_refresh_token", "access_token": old}
    new = {runtime.cipher.decrypt(a.access_token_enc) for a in fresh}
    assert len(new) == 1
    assert new != {old}
    assert new <= set(threads.long_lived)
    row = await account_store(runtime).tokens(account.id)
    assert row is not None
    assert row.expires_at is not None
    assert row.expires_at > runtime.clock.now() + timedelta(days=59)
    assert row.refresh_token_enc is None


async def test_refused_renewal_marks_reconnect_and_fails_pending_posts(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    threads: FakeThreads,
    th_auth: FakeAuthServer,
) -> None:
    account = await _connect(runtime, browser, threads)
    post = await _post(runtime, account)
    await _expire_in(account, timedelta(days=2))
    threads.age(runtime.cipher.decrypt(account.access_token_enc), 58 * DAY)
    threads.refuse_refresh = True  # the person removed Outpost from their Threads settings
    with pytest.raises(AuthRevoked) as caught:
        await ensure_fresh(runtime, account)
    assert "Reconnect threads acme.threads" in caught.value.message
    assert "190" in caught.value.message
    assert "th-" not in caught.value.message
    assert th_auth.client_secret not in caught.value.message
    [stored] = await runtime.workspaces.accounts(account.workspace_id)
    assert stored.status == "reconnect"
    view = await runtime.posts.get(post.id)
    assert view.status == "failed"
    assert view.destinations[0].error_code == "auth_revoked"
    assert threads.refreshes == 1


async def test_refused_token_is_renewed_once_then_reconnect(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    threads: FakeThreads,
    th_auth: FakeAuthServer,
) -> None:
    """A 190 while publishing: one renewal is tried; a dead token cannot renew itself."""
    account = await _connect(runtime, browser, threads)
    threads.expire(runtime.cipher.decrypt(account.access_token_enc))
    post = await _post(runtime, account)
    publisher = ThreadsPublisher(runtime.http, timeout=2.0)
    with pytest.raises(AuthRevoked):
        await publish_fresh(runtime, publisher, account, _builder(runtime, post))
    assert threads.refreshes == 1
    [stored] = await runtime.workspaces.accounts(account.workspace_id)
    assert stored.status == "reconnect"
    assert threads.posts == []


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


def _builder(runtime: Runtime, post: PostView) -> Callable[[AccountView], PublishRequest]:
    def build(acc: AccountView) -> PublishRequest:
        return publish_request(post, post.destinations[0], acc, (), cipher=runtime.cipher)

    return build
