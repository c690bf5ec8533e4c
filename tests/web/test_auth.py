"""One-time login links, sessions, CSRF, and who sees which workspace."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app
from core.errors import NotFound
from core.settings import Settings
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import _plain_dsn
from tests.support import TEST_DB, make_settings, set_clock
from tests.web.conftest import Crew, csrf_of, log_in, member
from web.calendar import setup


async def test_link_page_does_not_use_the_link_and_post_logs_in(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    ws = await runtime.workspaces.create("acme", "Europe/Berlin")
    ada = await member(runtime, ws.id, "ada")
    link = await create_login_link(runtime, ws.id, ada)
    assert link.startswith(runtime.settings.base_url + "/login/")
    path = link.removeprefix(runtime.settings.base_url)
    for _ in range(3):  # link scanners and previews fetch with GET: the link must survive
        page = await client.get(path)
        assert page.status == 200
        assert "Log in to acme" in await page.text()
        assert page.headers["Referrer-Policy"] == "no-referrer"
    anonymous = await client.get("/", allow_redirects=False)
    assert anonymous.status == 401
    done = await client.post(path, data={"csrf": csrf_of(await page.text())}, allow_redirects=False)
    assert done.status == 303
    assert done.headers["Location"] == f"/?ws={ws.id}"
    cookie = done.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("outpost_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain http in tests
    home = await client.get("/")
    assert home.status == 200
    assert "acme" in await home.text()


async def test_a_used_link_cannot_be_used_again(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    ws = await runtime.workspaces.create("acme")
    ada = await member(runtime, ws.id, "ada")
    link = await create_login_link(runtime, ws.id, ada)
    path = link.removeprefix(runtime.settings.base_url)
    page = await client.get(path)
    csrf = csrf_of(await page.text())
    assert (await client.post(path, data={"csrf": csrf}, allow_redirects=False)).status == 303
    fresh = csrf_of(await (await client.get("/")).text())  # the session's own token now
    again = await client.post(path, data={"csrf": fresh}, allow_redirects=False)
    assert again.status == 410
    assert "already used" in await again.text()
    client.session.cookie_jar.clear()  # another browser that got hold of the link
    assert (await client.get(path)).status == 410


async def test_an_expired_link_is_refused(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    ws = await runtime.workspaces.create("acme")
    ada = await member(runtime, ws.id, "ada")
    start = runtime.clock.now()
    set_clock(runtime, start)
    link = await create_login_link(runtime, ws.id, ada)
    path = link.removeprefix(runtime.settings.base_url)
    page = await client.get(path)
    set_clock(runtime, start + timedelta(minutes=15, seconds=1))
    late = await client.post(path, data={"csrf": csrf_of(await page.text())})
    assert late.status == 410
    assert "expired" in await late.text()
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_login_without_csrf_is_403_and_keeps_the_link(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = await create_login_link(runtime, ws.id, None)
    path = link.removeprefix(runtime.settings.base_url)
    forged = await client.post(path, data={}, allow_redirects=False)
    assert forged.status == 403
    assert (await client.get(path)).status == 200  # still usable by its owner


async def test_action_without_csrf_is_403_and_changes_nothing(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    post = await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text="keep me",
        when=runtime.clock.now() + timedelta(days=1),
        destinations=["mastodon"],
    )
    for data in ({}, {"csrf": "0" * 64}):
        refused = await client.post(f"/posts/{post.id}/cancel", data=data)
        assert refused.status == 403
        assert "security token" in await refused.text()
    assert (await runtime.posts.get(post.id)).status == "scheduled"


async def test_logout_ends_the_session_server_side(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    page = await client.get("/")
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))["outpost_session"]
    out = await client.post("/logout", data={"csrf": csrf_of(await page.text())})
    assert out.status == 200  # followed to the sign-in page
    assert "type <code>calendar</code>" in await out.text()
    client.session.cookie_jar.update_cookies({"outpost_session": stolen.value})
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_a_link_for_someone_outside_the_workspace_is_refused(runtime: Runtime) -> None:
    ws = await runtime.workspaces.create("acme")
    other = await runtime.workspaces.create("rival")
    eve = await member(runtime, other.id, "eve")
    with pytest.raises(NotFound):
        await create_login_link(runtime, ws.id, eve)


async def test_next_path_stays_on_the_site(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    ws = await runtime.workspaces.create("acme")
    ada = await member(runtime, ws.id, "ada")
    for wanted, landed in (
        ("https://evil.example/", f"/?ws={ws.id}"),
        ("//evil.example/x", f"/?ws={ws.id}"),
        ("/compose", "/compose"),
    ):
        link = await create_login_link(runtime, ws.id, ada, next_path=wanted)
        path = link.removeprefix(runtime.settings.base_url)
        page = await client.get(path)
        done = await client.post(
            path, data={"csrf": csrf_of(await page.text())}, allow_redirects=False
        )
        assert done.headers["Location"] == landed


async def test_a_person_sees_only_workspaces_they_logged_into(
    runtime: Runtime, client: TestClient[object, object]
) -> None:
    first = await runtime.workspaces.create("first-team")
    second = await runtime.workspaces.create("second-team")
    ada = await member(runtime, first.id, "ada")
    await runtime.workspaces.sync_chat_user(second.id, "slack", "T1", "ada")  # same person
    await log_in(client, runtime, first.id, ada)
    asked = await client.get(f"/?ws={second.id}")
    body = await asked.text()
    assert "first-team" in body
    assert "second-team" not in body
    await log_in(client, runtime, second.id, ada)
    both = await (await client.get(f"/?ws={second.id}")).text()
    assert 'id="ws-switch"' in both
    assert "first-team" in both
    assert "second-team" in both
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:  # leaving a workspace takes it out of the session at once
        await conn.execute("DELETE FROM workspace_members WHERE workspace_id = $1", second.id)
    finally:
        await conn.close()
    after = await (await client.get(f"/?ws={second.id}")).text()
    assert "second-team" not in after


async def test_session_cookie_is_secure_behind_https(settings: Settings) -> None:
    secure = make_settings(settings.data_dir, public_url="https://cal.example.com")
    async with open_runtime(secure) as rt:
        ws = await rt.workspaces.create("acme")
        async with TestClient(TestServer(build_app(rt, [setup]))) as client:
            link = await create_login_link(rt, ws.id, None)
            assert link.startswith("https://cal.example.com/login/")
            path = link.removeprefix(rt.settings.base_url)
            page = await client.get(path)
            pre = page.cookies["outpost_pre"]
            assert pre["secure"]
            # The test server speaks plain http, so the jar would hold back a Secure cookie.
            done = await client.post(
                path,
                data={"csrf": csrf_of(await page.text())},
                headers={"Cookie": f"outpost_pre={pre.value}"},
                allow_redirects=False,
            )
            cookie = next(
                c for c in done.headers.getall("Set-Cookie") if c.startswith("outpost_session=")
            )
            assert "Secure" in cookie
