"""Issue #23, item 7: a connect link is used once, and the flow it starts can be finished only
in the browser that started it (OAuth callback and token forms alike)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from scheduler.accounts.access import connect_link
from scheduler.runtime import Runtime
from tests.accounts import conftest as accounts
from tests.fakes.mastodon import FakeMastodon

# The accounts folder's fixtures: every OAuth network pointed at its fake, the app on a port.
settings = accounts.settings
port, app_url = accounts.port, accounts.app_url
linkedin, graph, threads, xnet = accounts.linkedin, accounts.graph, accounts.threads, accounts.xnet
li_auth, fb_auth, th_auth, x_auth = (
    accounts.li_auth,
    accounts.fb_auth,
    accounts.th_auth,
    accounts.x_auth,
)


@pytest.fixture
async def browsers() -> AsyncIterator[tuple[aiohttp.ClientSession, aiohttp.ClientSession]]:
    """Two browsers, each with its own cookies (the victim's and the attacker's)."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as one,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as two,
    ):
        yield one, two


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no {name} field in the page"
    return found.group(1)


async def test_a_connect_link_starts_one_flow_only(
    runtime: Runtime, app_url: str, browsers: tuple[aiohttp.ClientSession, ...]
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = connect_link(runtime, ws.id, None, "linkedin")
    first, other = browsers
    async with first.get(link, allow_redirects=False) as resp:
        assert resp.status == 302
    for browser in (first, other):  # the same person again, or whoever else got the link
        async with browser.get(link, allow_redirects=False) as resp:
            text = await resp.text()
            assert resp.status == 410
            assert "already used" in text
            assert "connect linkedin" in text


async def test_an_oauth_flow_finishes_only_in_the_browser_that_started_it(
    runtime: Runtime, app_url: str, browsers: tuple[aiohttp.ClientSession, ...]
) -> None:
    ws = await runtime.workspaces.create("acme")
    starter, stranger = browsers
    async with starter.get(
        connect_link(runtime, ws.id, None, "linkedin"), allow_redirects=False
    ) as r:
        to_auth = r.headers["Location"]
    async with starter.get(to_auth, allow_redirects=False) as resp:
        back = resp.headers["Location"]  # the callback with the code and the state
    async with stranger.get(back) as resp:
        assert resp.status == 400
        assert "in this browser" in await resp.text()
    assert await runtime.workspaces.accounts(ws.id) == []
    async with starter.get(back) as resp:
        assert resp.status == 200, await resp.text()
    # Self-serve scopes only (organization pages are opt-in): the member's own account.
    assert {a.handle for a in await runtime.workspaces.accounts(ws.id)} == {"ada-lovelace"}


async def test_a_token_form_works_only_in_the_browser_that_opened_the_link(
    runtime: Runtime,
    app_url: str,
    browsers: tuple[aiohttp.ClientSession, ...],
    mastodon: FakeMastodon,
) -> None:
    ws = await runtime.workspaces.create("acme")
    opener, stranger = browsers
    async with opener.get(connect_link(runtime, ws.id, None, "mastodon")) as resp:
        page = await resp.text()
    assert 'name="link"' not in page  # the link is spent, not sent on
    flow = field(page, "flow")
    form = {"flow": flow, "instance": mastodon.url, "token": "good-token"}
    async with stranger.post(f"{app_url}/connect/mastodon/token", data=form) as resp:
        assert resp.status == 403  # a cross-site form: no CSRF token, refused before anything
    assert await runtime.workspaces.accounts(ws.id) == []
    mine = {**form, "csrf": field(page, "csrf")}
    async with opener.post(f"{app_url}/connect/mastodon/token", data=mine) as resp:
        assert resp.status == 200, await resp.text()
    assert len(await runtime.workspaces.accounts(ws.id)) == 1


async def test_a_stolen_flow_token_with_its_own_csrf_is_still_refused(
    runtime: Runtime,
    app_url: str,
    browsers: tuple[aiohttp.ClientSession, ...],
    mastodon: FakeMastodon,
) -> None:
    ws = await runtime.workspaces.create("acme")
    other_ws = await runtime.workspaces.create("elsewhere")
    opener, stranger = browsers
    async with opener.get(connect_link(runtime, ws.id, None, "mastodon")) as resp:
        flow = field(await resp.text(), "flow")
    # The stranger opens a connect page of its own (its own CSRF token and connect cookie)...
    async with stranger.get(connect_link(runtime, other_ws.id, None, "bluesky")) as resp:
        own_csrf = field(await resp.text(), "csrf")
    # ...and sends the opener's flow token with it.
    form = {"flow": flow, "instance": mastodon.url, "token": "good-token", "csrf": own_csrf}
    async with stranger.post(f"{app_url}/connect/mastodon/token", data=form) as resp:
        text = await resp.text()
        assert resp.status == 400
        assert "did not open in this browser" in text
    assert await runtime.workspaces.accounts(ws.id) == []
