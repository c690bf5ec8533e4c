"""Signing in with Supabase Auth against the fake project: magic link, PKCE refusals, the user
made once, the workspace picker, invitations from the calendar, and ``outpost login``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from app.cli import _parser
from app.commands import _with_runtime
from core.settings import Settings
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime
from tests.fakes.supabase import SERVICE_KEY, FakeSupabase
from tests.fakes.supabase_auth import s256
from tests.web.conftest import csrf_of
from tests.web.signin_support import (
    Site,
    ask_for_link,
    follow_mail,
    member_by_email,
    other_browser,
    set_role,
    sign_in_by_email,
    signin_site,
    users_with_email,
)

ADA = "ada@example.com"


@pytest.fixture
async def site(settings: Settings, supa: FakeSupabase) -> AsyncIterator[Site]:
    async with signin_site(settings.data_dir, supa) as made:
        yield made


async def test_magic_link_signs_a_member_in_and_links_their_user(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    ada = await member_by_email(site.rt, ws.id, "Ada@Example.com")
    page = await site.client.get("/login")
    text = await page.text()
    assert 'action="/login/email"' in text
    assert "/login/oauth/github" in text
    assert "/login/oauth/google" not in text  # the project does not enable it
    assert (await site.client.get("/", allow_redirects=False)).status == 401

    done = await sign_in_by_email(site, site.client, ADA)
    assert done.status == 303, await done.text()
    assert done.headers["Location"] == f"/?ws={ws.id}"
    assert (await site.client.get("/")).status == 200
    assert await users_with_email(ADA) == [ada]  # linked by e-mail, not a second user
    [otp] = [r for r in site.supa.requests if r.path == "/auth/v1/otp"]
    assert otp.json is not None
    assert otp.json["code_challenge_method"] == "s256"
    assert otp.query["redirect_to"] == f"{site.url}/auth/callback"
    # The verifier stayed on the server until the exchange, and matches the challenge.
    [exchange] = site.supa.auth.exchanges
    assert s256(exchange["verifier"]) == otp.json["code_challenge"]
    assert exchange["verifier"] not in str(page.cookies) + str(done.cookies)


async def test_the_callback_needs_the_browser_that_asked_and_works_once(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    await member_by_email(site.rt, ws.id, ADA)
    asked = await ask_for_link(site.client, ADA)
    assert asked.status == 200
    callback = await follow_mail(site, ADA)
    async with other_browser(site) as other:  # another browser, no flow cookie
        stranger = await other.get(callback, allow_redirects=False)
        assert stranger.status == 401
        assert "not started in this browser" in await stranger.text()
    assert (await site.client.get(callback, allow_redirects=False)).status == 303
    again = await site.client.get(callback, allow_redirects=False)
    assert again.status == 401  # the flow was used up with the first callback


async def test_the_fake_refuses_what_supabase_refuses(site: Site) -> None:
    auth = site.rt.supabase_auth
    assert auth is not None
    supa = site.supa
    verifier = await auth.start_email(ADA, f"{site.url}/auth/callback")
    code = (await follow_mail(site, ADA)).split("code=")[1]
    with pytest.raises(Exception, match="expired or was already used"):
        await auth.finish(code, verifier + "x")  # wrong verifier: bad_code_verifier
    assert [r for r in supa.requests if r.path == "/auth/v1/token"]
    user = await auth.finish(code, verifier)
    assert user.email == ADA
    assert user.email_verified
    with pytest.raises(Exception, match="expired or was already used"):
        await auth.finish(code, verifier)  # a used code: flow_state_not_found
    verifier = await auth.start_email(ADA, f"{site.url}/auth/callback")
    code = (await follow_mail(site, ADA)).split("code=")[1]
    supa.auth.age_codes(600)
    with pytest.raises(Exception, match="expired or was already used"):
        await auth.finish(code, verifier)  # flow_state_expired
    async with aiohttp.ClientSession() as raw:
        for headers, status in (
            ({}, 401),
            ({"apikey": "nope"}, 401),
            ({"apikey": SERVICE_KEY}, 200),
        ):
            async with raw.get(f"{supa.url}/auth/v1/settings", headers=headers) as answer:
                assert answer.status == status
        async with raw.post(f"{supa.url}/auth/v1/token?grant_type=pkce", json={}) as answer:
            assert answer.status == 401  # no apikey: the gateway refuses before Auth


async def test_two_concurrent_first_sign_ins_make_one_user(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    expires = site.rt.clock.now() + timedelta(days=1)
    await site.rt.signin.invite(ws.id, "new@example.com", "editor", None, expires)
    async with other_browser(site) as other:
        await ask_for_link(site.client, "new@example.com")
        first = await follow_mail(site, "new@example.com")
        await ask_for_link(other, "new@example.com")
        second = await follow_mail(site, "new@example.com")
        done = await asyncio.gather(
            site.client.get(first, allow_redirects=False), other.get(second, allow_redirects=False)
        )
        assert [d.status for d in done] == [303, 303]
    assert len(await users_with_email("NEW@example.com")) == 1
    assert await site.rt.signin.role(ws.id, (await users_with_email("new@example.com"))[0]) == (
        "editor"
    )


async def test_a_stranger_is_told_to_ask_for_an_invitation(site: Site) -> None:
    done = await sign_in_by_email(site, site.client, "nobody@example.com")
    assert done.status == 403
    assert "invite nobody@example.com" in await done.text()
    assert (await site.client.get("/", allow_redirects=False)).status == 401


async def test_a_member_of_two_workspaces_picks_one_and_can_switch(site: Site) -> None:
    acme = await site.rt.workspaces.create("acme")
    zeta = await site.rt.workspaces.create("zeta")
    ada = await member_by_email(site.rt, acme.id, ADA)
    await site.rt.workspaces.sync_chat_user(zeta.id, "slack", "T1", ADA)  # the same user
    done = await sign_in_by_email(site, site.client, ADA)
    assert done.status == 303
    assert done.headers["Location"].startswith("/workspaces")
    picker = await (await site.client.get(done.headers["Location"])).text()
    assert f'href="/?ws={acme.id}"' in picker
    assert f'href="/?ws={zeta.id}"' in picker
    page = await site.client.get(f"/?ws={zeta.id}")
    assert page.status == 200
    assert 'id="ws-switch"' in await page.text()  # the switcher, on every page
    assert await users_with_email(ADA) == [ada]


async def test_an_admin_invites_from_the_settings_page(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    ada = await member_by_email(site.rt, ws.id, ADA)
    await set_role(ws.id, ada, "editor")  # the first member owns the workspace: not this one
    await sign_in_by_email(site, site.client, ADA)
    page = await (await site.client.get(f"/settings?ws={ws.id}")).text()
    assert 'action="/settings/invite"' not in page  # an editor cannot invite
    refused = await site.client.post(
        "/settings/invite",
        data={"csrf": csrf_of(page), "ws": str(ws.id), "email": "bo@example.com"},
    )
    assert refused.status == 422
    assert "owners and admins" in await refused.text()
    assert await site.rt.signin.pending(ws.id, site.rt.clock.now()) == []

    await set_role(ws.id, ada, "admin")
    page = await (await site.client.get(f"/settings?ws={ws.id}")).text()
    made = await site.client.post(
        "/settings/invite",
        data={"csrf": csrf_of(page), "ws": str(ws.id), "email": "bo@example.com", "role": "viewer"},
        allow_redirects=False,
    )
    assert made.status == 303
    assert (
        "bo@example.com · viewer" in await (await site.client.get(f"/settings?ws={ws.id}")).text()
    )
    async with other_browser(site) as bo:
        done = await sign_in_by_email(site, bo, "bo@example.com")
        assert done.headers["Location"] == f"/?ws={ws.id}"
    [bo_id] = await users_with_email("bo@example.com")
    assert await site.rt.signin.role(ws.id, bo_id) == "viewer"


async def test_outpost_login_prints_a_link_that_works_once(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = await site.rt.workspaces.create("acme")
    await member_by_email(site.rt, ws.id, ADA)
    args = _parser().parse_args(["login", "--workspace", "acme", "--member", ADA])
    assert await _with_runtime(site.rt.settings, args) == 0
    link = capsys.readouterr().out.strip()
    confirm = await site.client.get(site.path(link))
    assert confirm.status == 200
    assert "Log in to acme" in await confirm.text()
    csrf = csrf_of(await confirm.text())
    used = await site.client.post(site.path(link), data={"csrf": csrf}, allow_redirects=False)
    assert used.status == 303
    assert (await site.client.get("/")).status == 200
    again = await site.client.get(site.path(link))
    assert again.status == 410  # used up: the page says to ask for a new one
    stranger = _parser().parse_args(["login", "--workspace", "acme", "--member", "x@example.com"])
    with pytest.raises(Exception, match="No member of acme"):
        await _with_runtime(site.rt.settings, stranger)


async def test_without_supabase_the_page_offers_chat_links_only(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    page = await client.get("/login")
    text = await page.text()
    assert "/login/email" not in text
    assert "/login/oauth" not in text
    ws = await runtime.workspaces.create("acme")
    link = await create_login_link(runtime, ws.id, None)
    confirm = await client.get(link.removeprefix(runtime.settings.base_url))
    csrf = csrf_of(await confirm.text())  # a page with a form, for the token
    off = await client.post("/login/email", data={"csrf": csrf, "email": ADA})
    assert off.status == 404
    assert (await client.get("/login/oauth/github")).status == 404


async def _oauth_callback(site: Site, start: str) -> str:
    """Go from our ``/login/oauth/...`` answer through Supabase and the provider's page."""
    async with aiohttp.ClientSession() as outside:
        async with outside.get(start, allow_redirects=False) as authorize:
            assert authorize.status == 302, await authorize.text()
            provider_page = authorize.headers["Location"]
        async with outside.get(provider_page) as page:
            html = await page.text()
        back = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
        async with outside.get(back, allow_redirects=False) as returned:
            assert returned.status == 302, await returned.text()
            return site.path(returned.headers["Location"])


async def test_oauth_signs_in_and_keeps_next_on_the_site(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    await member_by_email(site.rt, ws.id, "octocat@example.com")
    started = await site.client.get("/login/oauth/github?next=/compose", allow_redirects=False)
    assert started.status == 303
    assert "outpost_signin" in started.cookies
    flow_cookie = started.cookies["outpost_signin"]
    assert flow_cookie["httponly"]
    assert flow_cookie["samesite"] == "Lax"
    location = started.headers["Location"]
    assert location.startswith(f"{site.supa.url}/auth/v1/authorize?")
    assert "code_challenge_method=s256" in location
    done = await site.client.get(await _oauth_callback(site, location), allow_redirects=False)
    assert done.status == 303
    assert done.headers["Location"] == "/compose"

    evil = await site.client.get("/login/oauth/github?next=//evil.example/x", allow_redirects=False)
    done = await site.client.get(
        await _oauth_callback(site, evil.headers["Location"]), allow_redirects=False
    )
    assert done.headers["Location"] == f"/?ws={ws.id}"  # safe_next: never off the site
    assert (await site.client.get("/login/oauth/google", allow_redirects=False)).status == 404


async def test_an_unverified_address_is_refused(site: Site) -> None:
    ws = await site.rt.workspaces.create("acme")
    await member_by_email(site.rt, ws.id, "octocat@example.com")
    site.supa.auth.unverified.add("octocat@example.com")
    started = await site.client.get("/login/oauth/github", allow_redirects=False)
    done = await site.client.get(
        await _oauth_callback(site, started.headers["Location"]), allow_redirects=False
    )
    assert done.status == 401
    assert "not verified" in await done.text()
    assert (await site.client.get("/", allow_redirects=False)).status == 401


async def test_asking_for_a_link_needs_the_csrf_token(site: Site) -> None:
    await site.client.get("/login")
    refused = await site.client.post("/login/email", data={"email": ADA})
    assert refused.status == 403
    crossed = await site.client.post(
        "/login/email", data={"email": ADA}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert crossed.status == 403
    assert site.supa.auth.mailbox == []


async def test_the_fake_rotates_refresh_tokens_like_supabase(site: Site) -> None:
    """The refresh grant, through the real client: Outpost keeps no Supabase token (see
    docs/security.md), but the fake answers ``grant_type=refresh_token`` as documented."""
    auth = site.rt.supabase_auth
    assert auth is not None
    client, _ = auth._client()
    verifier = await auth.start_email(ADA, f"{site.url}/auth/callback")
    code = (await follow_mail(site, ADA)).split("code=")[1]
    session = (
        await client.exchange_code_for_session({"auth_code": code, "code_verifier": verifier})
    ).session
    assert session is not None
    fresh = await client.refresh_session(session.refresh_token)
    assert fresh.session is not None
    assert fresh.session.refresh_token != session.refresh_token
    with pytest.raises(Exception, match="Refresh Token Not Found"):
        await client.refresh_session(session.refresh_token)


async def test_supabase_down_is_a_503_that_says_to_try_again(site: Site) -> None:
    page = await site.client.get("/login")
    csrf = csrf_of(await page.text())
    site.supa.down = True
    down = await site.client.post("/login/email", data={"csrf": csrf, "email": ADA})
    assert down.status == 503
    assert "Supabase Auth did not answer" in await down.text()
    site.supa.down = False
