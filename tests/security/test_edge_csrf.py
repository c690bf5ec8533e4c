"""Issue #23, item 1: one CSRF check for every state-changing calendar request, whatever its
encoding, with Origin and Sec-Fetch-Site refusing other sites, the login link included."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from scheduler.logins import create_login_link, peek_login
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import PostView
from tests.web import conftest as calendar
from tests.web.conftest import Crew, csrf_of

Client = TestClient[object, object]
# The calendar's fixtures (a security conftest would clash with the other helpers' files).
client = calendar.client
crew = calendar.crew


def multipart(**fields: str) -> aiohttp.FormData:
    """A multipart/form-data body, as a cross-site ``<form enctype=multipart>`` sends it."""
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    return form


async def _post(runtime: Runtime, crew: Crew) -> PostView:
    return await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text="Hello",
        when=runtime.clock.now() + timedelta(days=2),
        destinations=["mastodon"],
    )


async def _token(client: Client) -> str:
    return csrf_of(await (await client.get("/settings")).text())


@pytest.mark.parametrize(
    ("action", "fields"),
    [("cancel", {}), ("edit", {"text": "Forged text"}), ("now", {})],
)
async def test_a_multipart_post_without_the_token_changes_nothing(
    runtime: Runtime, client: Client, crew: Crew, action: str, fields: dict[str, str]
) -> None:
    post = await _post(runtime, crew)
    resp = await client.post(
        f"/posts/{post.id}/{action}", data=multipart(**fields), allow_redirects=False
    )
    assert resp.status == 403
    after = await runtime.posts.get(post.id)
    assert (after.status, after.content, after.revision) == ("scheduled", "Hello", post.revision)


async def test_feed_rotation_and_logout_need_the_token_in_any_encoding(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    ws = str(crew.team.workspace.id)
    before = await (await client.get(f"/settings?ws={ws}")).text()
    for data in (multipart(ws=ws), {"ws": ws}):
        resp = await client.post("/settings/feed", data=data, allow_redirects=False)
        assert resp.status == 403
        resp = await client.post("/logout", data=multipart(), allow_redirects=False)
        assert resp.status == 403
    assert await (await client.get(f"/settings?ws={ws}")).text() == before  # same feed URL
    token = await _token(client)
    rotated = await client.post(
        "/settings/feed", data=multipart(csrf=token, ws=ws), allow_redirects=False
    )
    assert rotated.status == 303  # the real form still works, multipart or not


async def test_another_sites_request_is_refused_even_with_the_token(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    post = await _post(runtime, crew)
    token = await _token(client)
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        resp = await client.post(
            f"/posts/{post.id}/cancel", data={"csrf": token}, headers=headers,
            allow_redirects=False,
        )  # fmt: skip
        assert resp.status == 403, headers
    assert (await runtime.posts.get(post.id)).status == "scheduled"
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    resp = await client.post(
        f"/posts/{post.id}/cancel", data={"csrf": token}, headers=same, allow_redirects=False
    )
    assert resp.status == 303
    assert (await runtime.posts.get(post.id)).status == "cancelled"


async def test_the_token_may_come_in_a_header(runtime: Runtime, client: Client, crew: Crew) -> None:
    post = await _post(runtime, crew)
    headers = {"X-CSRF-Token": await _token(client)}
    resp = await client.post(f"/posts/{post.id}/cancel", headers=headers, allow_redirects=False)
    assert resp.status == 303
    wrong = {"X-CSRF-Token": "0" * 64}
    other = await _post(runtime, crew)
    resp = await client.post(f"/posts/{other.id}/cancel", headers=wrong, allow_redirects=False)
    assert resp.status == 403


async def test_a_cross_site_post_cannot_redeem_a_login_link(
    runtime: Runtime, client: Client
) -> None:
    ws = await runtime.workspaces.create("acme")
    link = await create_login_link(runtime, ws.id, None)
    path = link.removeprefix(runtime.settings.base_url)
    token = path.rsplit("/", 1)[1]
    # The attacker's page submits the link in the victim's browser: no token, any encoding.
    for data in (multipart(), multipart(csrf="forged"), {}):
        resp = await client.post(path, data=data, allow_redirects=False)
        assert resp.status == 403
        assert "outpost_session" not in resp.cookies
    page = await client.get(path)
    resp = await client.post(
        path, data=multipart(csrf=csrf_of(await page.text())),
        headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False,
    )  # fmt: skip
    assert resp.status == 403
    assert await peek_login(runtime, token) is not None  # still usable by its owner
    done = await client.post(
        path, data=multipart(csrf=csrf_of(await page.text())), allow_redirects=False
    )
    assert done.status == 303


async def test_a_compose_upload_without_the_token_first_writes_nothing(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    form = aiohttp.FormData()
    form.add_field("request", "tomorrow 9am to mastodon: hi")
    form.add_field("action", "save")
    form.add_field("files", b"\x89PNG" + b"0" * 200_000, filename="a.png")
    resp = await client.post("/compose", data=form, allow_redirects=False)
    assert resp.status == 403
    uploads = runtime.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert await runtime.posts.search(crew.team.workspace.id) == []


async def test_routes_no_cookie_authenticates_are_not_checked(client: Client) -> None:
    # Slack, Telegram, the API and hooks verify their own callers; a cross-site header does
    # not turn their answer into the calendar's 403.
    resp = await client.post("/api/v1/posts", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status == 404  # not mounted here: routing answered, not the CSRF check
