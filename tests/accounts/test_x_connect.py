"""X connects through OAuth 2.0 with PKCE, and the stored account publishes."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from scheduler.accounts.access import account_store, connect_link
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.x import FakeX
from tests.support import wait_for


async def test_x_connects_with_pkce_then_publishes(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    x_auth: FakeAuthServer,
    xnet: FakeX,
    worker: object,
) -> None:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "x")) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    assert "x:outpost" in page
    authorize = next(r for r in x_auth.requests if r.path == "/authorize")
    assert authorize.query["code_challenge_method"] == "S256"
    token_call = next(r for r in x_auth.requests if r.path == "/token")
    assert token_call.form is not None
    assert token_call.form["code_verifier"]
    [account] = await runtime.workspaces.accounts(ws.id)
    assert (account.platform, account.handle, account.base_url) == ("x", "outpost", xnet.url)
    token = runtime.cipher.decrypt(account.access_token_enc)
    assert token in xnet.tokens
    assert token not in account.access_token_enc
    stored = await account_store(runtime).tokens(account.id)
    assert stored is not None
    assert stored.refresh_token_enc
    post = await Scheduler(runtime).schedule_fields(
        ws.id,
        text="Hello from a connected X account",
        when=runtime.clock.now() + timedelta(seconds=1),
        destinations=["x"],
    )

    async def published() -> bool:
        return (await runtime.posts.get(post.id)).status == "published"

    await wait_for(published, timeout=15)
    dest = (await runtime.posts.get(post.id)).destinations[0]
    assert dest.platform_url is not None
    assert dest.platform_url.endswith(f"/status/{dest.platform_post_id}")
