"""Facebook Login: the short-lived user token is traded for a long-lived one before the Pages
are listed, so the Page tokens stored never expire (Meta's fb_exchange_token flow)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import aiohttp
import pytest

from publishers.base import Account
from publishers.errors import AuthRevoked
from publishers.facebook import FacebookPublisher
from publishers.oauth import GrantRefused, Tokens, exchange_long_lived, providers
from scheduler.accounts.access import account_store, connect_link, hash_secret
from scheduler.accounts.meta import hold_pages
from scheduler.runtime import Runtime
from storage.views import AccountView
from tests.accounts.test_oauth_flow import csrf_in
from tests.fakes.facebook import FakeGraph
from tests.fakes.oauth import FakeAuthServer
from tests.publishers.helpers import request_for


async def _connect_page(
    runtime: Runtime, app_url: str, browser: aiohttp.ClientSession, graph: FakeGraph
) -> AccountView:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "facebook")) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    choice = re.search(r'name="choice" value="([^"]+)"', page)
    assert choice is not None
    form = {"choice": choice.group(1), "pick": "facebook:" + graph.page_id, "csrf": csrf_in(page)}
    async with browser.post(f"{app_url}/connect/facebook/choose", data=form) as resp:
        assert resp.status == 200, await resp.text()
    [account] = await runtime.workspaces.accounts(ws.id)
    return account


async def test_login_token_is_exchanged_before_pages_are_listed(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    graph: FakeGraph,
    fb_auth: FakeAuthServer,
) -> None:
    account = await _connect_page(runtime, app_url, browser, graph)
    [code_call] = [r for r in fb_auth.requests if r.path == "/token"]
    assert code_call.form is not None
    [exchange] = [r for r in graph.requests if r.path == "/v25.0/oauth/access_token"]
    assert exchange.method == "GET"
    short = next(t for t in graph.tokens if t.startswith("fb-") and t not in graph.long_lived)
    assert exchange.query == {
        "grant_type": "fb_exchange_token",
        "client_id": fb_auth.client_id,
        "client_secret": fb_auth.client_secret,
        "fb_exchange_token": short,
    }
    [listing] = [r for r in graph.requests if r.path == "/v25.0/me/accounts"]
    used = listing.headers["Authorization"].removeprefix("Bearer ")
    assert used in graph.long_lived
    assert used != short
    # The Page token derived from a long-lived user token is the one that never expires ...
    assert runtime.cipher.decrypt(account.access_token_enc) == graph.page_token
    tokens = await account_store(runtime).tokens(account.id)
    assert tokens is not None
    assert tokens.expires_at is None
    assert tokens.refresh_token_enc is None
    # ... so when the login's hour is over the Page still takes posts.
    graph.expire_short_lived()
    publisher = FacebookPublisher(runtime.http, timeout=2.0)
    token = runtime.cipher.decrypt(account.access_token_enc)
    page = Account(str(account.id), "facebook", account.handle, token, graph.url,
                   dict(account.settings))  # fmt: skip
    receipt = await publisher.publish(request_for(page, text="Still connected"))
    assert receipt.remote_id == graph.posts[0]["id"]


async def test_page_tokens_of_a_short_lived_login_die_with_it(
    runtime: Runtime, graph: FakeGraph, fb_auth: FakeAuthServer
) -> None:
    """What the exchange prevents: without it, the stored Page token stops after the hour."""
    provider = providers(runtime.settings)["facebook"]
    short = "fb-short-1"
    graph.tokens.add(short)
    ws = await runtime.workspaces.create("acme")
    state = await _state(runtime, ws.id)
    choice = await hold_pages(runtime, provider, Tokens(short), state)
    assert [o.key for o in choice.options] == ["facebook:1001", "instagram:17841400000000001"]
    [listed] = [p for p in graph.page_tokens if p.startswith("page-short-")]
    graph.expire_short_lived()
    publisher = FacebookPublisher(runtime.http, timeout=2.0)
    account = Account("a", "facebook", "acme", listed, graph.url, {"page_id": graph.page_id})
    with pytest.raises(AuthRevoked) as caught:
        await publisher.publish(request_for(account))
    assert "190" in caught.value.message
    assert "Session has expired" in caught.value.message
    assert graph.posts == []


async def _state(runtime: Runtime, workspace_id: uuid.UUID) -> uuid.UUID:
    store = account_store(runtime)
    await store.add_state(
        hash_secret("s"), workspace_id, "facebook", user_id=None, verifier_enc=None,
        redirect_uri="http://x/cb", expires_at=runtime.clock.now() + timedelta(minutes=5),
        instance_url="",
    )  # fmt: skip
    taken = await store.take_state(hash_secret("s"), "facebook", runtime.clock.now())
    assert taken is not None
    return taken.id


async def test_exchange_gives_sixty_days_and_refusals_say_reconnect(
    runtime: Runtime, graph: FakeGraph, fb_auth: FakeAuthServer
) -> None:
    provider = providers(runtime.settings)["facebook"]
    graph.tokens.add("fb-short-2")
    tokens = await exchange_long_lived(runtime.http, provider, "fb-short-2")
    assert tokens.access_token in graph.long_lived
    assert tokens.expires_at is not None
    expected = runtime.clock.now() + timedelta(seconds=5_183_944)
    assert abs((tokens.expires_at - expected).total_seconds()) < 60
    assert tokens.refresh_token is None
    # An expired short-lived token: Graph's 400 / OAuthException 190 / subcode 463.
    graph.expire("fb-short-2")
    async with runtime.http.get(
        f"{graph.url}/v25.0/oauth/access_token",
        params={"grant_type": "fb_exchange_token", "client_id": provider.client_id,
                "client_secret": provider.client_secret, "fb_exchange_token": "fb-short-2"},
    ) as resp:  # fmt: skip
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert (error["type"], error["code"], error["error_subcode"]) == ("OAuthException", 190, 463)
    with pytest.raises(GrantRefused) as caught:
        await exchange_long_lived(runtime.http, provider, "fb-short-2")
    assert "Connect the account again" in caught.value.message
    assert "fb-short-2" not in str(caught.value)
    assert provider.client_secret not in str(caught.value)
    # A wrong app secret is Graph's code 1, also a refusal that needs a person.
    wrong = type(provider)(**{**provider.__dict__, "client_secret": "nope"})
    graph.tokens.add("fb-short-3")
    with pytest.raises(GrantRefused) as caught:
        await exchange_long_lived(runtime.http, wrong, "fb-short-3")
    assert "client secret" in caught.value.message
    assert "nope" not in caught.value.message


async def test_refused_exchange_is_explained_and_nothing_is_stored(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    graph: FakeGraph,
    fb_auth: FakeAuthServer,
) -> None:
    graph.client_secret = "rotated-by-the-operator"  # the app secret no longer matches
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "facebook")) as resp:
        text = await resp.text()
        assert resp.status == 400
    assert "Facebook" in text
    assert "outpost-secret" not in text
    assert await runtime.workspaces.all_accounts() == []
