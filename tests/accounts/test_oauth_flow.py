"""OAuth connection end to end: app, fake authorization server and fake network, by HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import aiohttp

from scheduler.accounts.access import connect_link
from scheduler.runtime import Runtime
from tests.fakes.facebook import FakeGraph
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.oauth import FakeAuthServer


def csrf_in(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field in the page"
    return found.group(1)


def form_tokens(page: str) -> dict[str, str]:
    """The hidden fields a connect form sends back: the CSRF token and the flow token."""
    flow = re.search(r'name="flow" value="([^"]+)"', page)
    assert flow, "no flow field in the page"
    return {"csrf": csrf_in(page), "flow": flow.group(1)}


async def _workspace(runtime: Runtime) -> str:
    ws = await runtime.workspaces.create("acme")
    return str(ws.id)


async def test_forged_state_is_refused(
    runtime: Runtime, app_url: str, browser: aiohttp.ClientSession
) -> None:
    await _workspace(runtime)
    url = f"{app_url}/connect/linkedin/callback?code=code-1&state=forged-state"
    async with browser.get(url) as resp:
        assert resp.status == 400
        assert "did not start here" in await resp.text()
    assert await runtime.workspaces.all_accounts() == []


async def test_state_is_single_use_and_expired_code_is_explained(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    li_auth: FakeAuthServer,
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = connect_link(runtime, ws.id, None, "linkedin")
    async with browser.get(link, allow_redirects=False) as resp:
        to_auth = resp.headers["Location"]
    async with browser.get(to_auth, allow_redirects=False) as resp:
        back = resp.headers["Location"]
    li_auth.expire_codes()
    async with browser.get(back) as resp:
        text = await resp.text()
        assert resp.status == 400
    assert "expired" in text
    assert "Connect the account again" in text
    assert "code-" not in text  # the code itself is never shown
    async with browser.get(back) as resp:  # the same state a second time
        assert resp.status == 400
        assert "already used" in await resp.text()
    assert await runtime.workspaces.all_accounts() == []


async def test_tampered_or_foreign_link_is_refused(
    runtime: Runtime, app_url: str, browser: aiohttp.ClientSession
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = connect_link(runtime, ws.id, None, "threads")
    async with browser.get(link.replace("/connect/threads", "/connect/linkedin")) as resp:
        assert resp.status == 400
    async with browser.get(link[:-3] + "xyz") as resp:
        assert resp.status == 400
        assert "not valid" in await resp.text()


async def test_facebook_lists_pages_and_connects_the_chosen(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    graph: FakeGraph,
) -> None:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "instagram")) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    assert "instagram:acme.corp" in page
    assert "facebook:acme-corp" in page
    assert "page-token" not in page
    choice = re.search(r'name="choice" value="([^"]+)"', page)
    assert choice is not None
    form = {"choice": choice.group(1), "pick": "instagram:" + graph.ig_id, "csrf": csrf_in(page)}
    async with browser.post(f"{app_url}/connect/facebook/choose", data=form) as resp:
        assert resp.status == 200
    [account] = await runtime.workspaces.accounts(ws.id)
    assert (account.platform, account.handle) == ("instagram", "acme.corp")
    assert account.settings["ig_user_id"] == graph.ig_id
    assert runtime.cipher.decrypt(account.access_token_enc) == graph.page_token
    async with browser.post(f"{app_url}/connect/facebook/choose", data=form) as resp:
        assert resp.status == 400  # a choice is made once


async def test_mastodon_registers_an_app_then_signs_in(
    runtime: Runtime, app_url: str, browser: aiohttp.ClientSession, mastodon: FakeMastodon
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = connect_link(runtime, ws.id, None, "mastodon")
    async with browser.get(link) as resp:
        page = await resp.text()
        assert 'action="/connect/mastodon"' in page
    form = {**form_tokens(page), "instance": mastodon.url}
    async with browser.post(f"{app_url}/connect/mastodon", data=form, allow_redirects=False) as r:
        assert r.status == 302
        target = urlsplit(r.headers["Location"])
    assert target.path == "/oauth/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == ["fake-client-id"]
    assert query["code_challenge_method"] == ["S256"]
    apps = [r for r in mastodon.requests if r.path == "/api/v1/apps"]
    assert apps[0].form is not None
    assert apps[0].form["redirect_uris"] == f"{app_url}/connect/mastodon/callback"
    callback = f"{app_url}/connect/mastodon/callback?code=abc&state={query['state'][0]}"
    async with browser.get(callback) as resp:
        assert resp.status == 200, await resp.text()
    [account] = await runtime.workspaces.accounts(ws.id)
    assert account.handle == f"@outpost@{urlsplit(mastodon.url).netloc}"
    assert account.base_url == mastodon.url


async def test_token_forms_check_before_storing(
    runtime: Runtime, app_url: str, browser: aiohttp.ClientSession, mastodon: FakeMastodon
) -> None:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "mastodon")) as resp:
        page = await resp.text()
    bad = {**form_tokens(page), "instance": mastodon.url, "token": "wrong"}
    async with browser.post(f"{app_url}/connect/mastodon/token", data=bad) as resp:
        assert resp.status == 400
        assert "wrong" not in await resp.text()
    assert await runtime.workspaces.all_accounts() == []
    good = {**bad, "token": "good-token"}
    async with browser.post(f"{app_url}/connect/mastodon/token", data=good) as resp:
        assert resp.status == 200
    assert len(await runtime.workspaces.accounts(ws.id)) == 1
