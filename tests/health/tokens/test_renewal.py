"""The daily check renews a Threads long-lived token in its last week for an account that
posts nothing, and leaves a Facebook Page's never-expiring token alone."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from scheduler.accounts.access import account_store
from scheduler.health.watch import daily_checks
from scheduler.runtime import Runtime
from tests.accounts.test_facebook_tokens import _connect_page
from tests.accounts.test_threads_tokens import DAY, _connect, _expire_in
from tests.fakes.facebook import FakeGraph
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.threads import FakeThreads
from tests.helpers import count_rows


async def test_daily_check_renews_a_threads_token_of_an_account_with_no_posts(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    threads: FakeThreads,
    th_auth: FakeAuthServer,
) -> None:
    account = await _connect(runtime, browser, threads)
    old = runtime.cipher.decrypt(account.access_token_enc)
    assert await count_rows("scheduled_posts") == 0
    await _expire_in(account, timedelta(days=8))
    assert await daily_checks(runtime) == {"ok": 1}
    assert threads.refreshes == 0  # more than a week left: not yet

    await _expire_in(account, timedelta(days=6))
    threads.age(old, 54 * DAY)
    assert await daily_checks(runtime) == {"ok": 1}
    assert threads.refreshes == 1
    row = await account_store(runtime).tokens(account.id)
    assert row is not None
    assert row.expires_at is not None
    assert row.expires_at > runtime.clock.now() + timedelta(days=59)
    new = runtime.cipher.decrypt(row.access_token_enc)
    assert new != old
    # The check itself was made with the renewed token.
    [me] = [r for r in threads.requests if r.path.endswith("/me")][-1:]
    assert me.headers.get("Authorization") == f"Bearer {new}"


async def test_daily_check_leaves_a_page_token_that_never_expires(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    graph: FakeGraph,
    fb_auth: FakeAuthServer,
) -> None:
    account = await _connect_page(runtime, app_url, browser, graph)
    exchanges = graph.exchanges
    assert await daily_checks(runtime) == {"ok": 1}
    assert graph.exchanges == exchanges
    row = await account_store(runtime).tokens(account.id)
    assert row is not None
    assert row.expires_at is None
    assert row.access_token_enc == account.access_token_enc
