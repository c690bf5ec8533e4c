"""The compose form without a browser: the count endpoint, problems beside their fields with
the input kept, and a post stored with both destinations, its zone's time and an X version."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from core.states import Role
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.slots import next_free_slot, parse_slots, set_slots
from storage.db import _plain_dsn
from storage.views import AccountView
from tests.helpers import count_rows
from tests.support import TEST_DB
from tests.web.conftest import Crew, csrf_of, png

BERLIN = ZoneInfo("Europe/Berlin")
LONG_URL = "https://example.com/" + "a-long-path/" * 8  # 116 characters; X weighs it as 23


async def connect_x(rt: Runtime, workspace_id: uuid.UUID, base_url: str = "") -> AccountView:
    """An X account (its API at ``base_url``, a FakeX in the browser test)."""
    return await rt.workspaces.add_account(
        workspace_id, "x", "@outpost", rt.cipher.encrypt("x-user-token"),
        base_url=base_url or "http://127.0.0.1:9",
    )  # fmt: skip


async def _csrf(client: TestClient[object, object]) -> str:
    return csrf_of(await (await client.get("/compose")).text())


async def _count(
    client: TestClient[object, object], crew: Crew, body: dict[str, object], csrf: str | None
) -> aiohttp.ClientResponse:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return await client.post(
        "/compose/count", json={"ws": str(crew.team.workspace.id), **body}, headers=headers
    )


async def test_count_is_each_networks_own(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    ws = crew.team.workspace.id
    x = await connect_x(runtime, ws)
    sky = await runtime.workspaces.add_account(
        ws, "bluesky", "acme.bsky.social", runtime.cipher.encrypt("app-password"),
        base_url="http://127.0.0.1:9",
    )  # fmt: skip
    mastodon = crew.team.accounts["mastodon"]
    family = "👨\u200d👩\u200d👧"  # one grapheme of five code points
    text = f"{family} {LONG_URL}"
    csrf = await _csrf(client)
    ids = [str(x.id), str(sky.id), str(mastodon.id)]
    answer = await _count(client, crew, {"text": text, "accounts": ids}, csrf)
    assert answer.status == 200, await answer.text()
    counts = {c["platform"]: c for c in (await answer.json())["counts"]}
    assert (counts["x"]["length"], counts["x"]["limit"]) == (2 + 1 + 23, 280)
    assert (counts["bluesky"]["length"], counts["bluesky"]["limit"]) == (1 + 1 + len(LONG_URL), 300)
    assert counts["mastodon"]["length"] == 1 + 1 + 23  # graphemes, URLs as 23
    assert counts["x"]["label"] == "X"
    assert not counts["x"]["over"]

    # A version counts instead of the main text; an unticked account's network is left out.
    versions = {"x": "é" * 281, "mastodon": "ignored: not ticked"}
    answer = await _count(client, crew, {"text": text, "accounts": [str(x.id)],
                                         "variants": versions}, csrf)  # fmt: skip
    [only] = (await answer.json())["counts"]
    assert (only["platform"], only["length"], only["over"], only["own_version"]) == (
        "x", 281, True, True,
    )  # fmt: skip


async def test_count_needs_the_token_and_a_visible_workspace(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    body = {"text": "hi", "accounts": [str(crew.team.accounts["mastodon"].id)]}
    refused = await _count(client, crew, body, None)
    assert refused.status == 403
    assert "security token" in await refused.text()
    csrf = await _csrf(client)
    other = await runtime.workspaces.create("elsewhere", "UTC")
    answer = await client.post("/compose/count", json={"ws": str(other.id), **body},
                               headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert answer.status == 404
    assert await answer.json() == {"error": "No such workspace."}
    broken = await client.post("/compose/count", data=b"{", headers={"X-CSRF-Token": csrf})
    assert broken.status == 400


async def _submit(
    client: TestClient[object, object], crew: Crew, fields: dict[str, str | list[str]]
) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", await _csrf(client))
    form.add_field("ws", str(crew.team.workspace.id))
    for name, value in fields.items():
        for one in [value] if isinstance(value, str) else value:
            form.add_field(name, one)
    answer = await client.post("/compose/form", data=form, allow_redirects=False)
    return answer.status, await answer.text()


def _beside(body: str, field_id: str) -> str:
    """The problems listed beside one field (``<ul id=field_id>``), unescaped."""
    found = re.search(rf'<ul class="field-problems" id="{field_id}"[^>]*>(.*?)</ul>', body, re.S)
    assert found, f"no {field_id} in the page"
    return html.unescape(found.group(1))


def _tomorrow(rt: Runtime) -> datetime:
    local = rt.clock.now().astimezone(BERLIN) + timedelta(days=1)
    return local.replace(hour=10, minute=30, second=0, microsecond=0)


async def test_text_too_long_for_x_is_shown_beside_the_x_tab_with_the_input_kept(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    x = await connect_x(runtime, crew.team.workspace.id)
    mastodon = crew.team.accounts["mastodon"]
    text = "Launch day <b>soon</b> " + "w" * 300
    status, body = await _submit(client, crew, {
        "account": [str(x.id), str(mastodon.id)], "timing": "at",
        "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}", "text": text, "action": "schedule",
    })  # fmt: skip
    assert status == 400
    beside_x = _beside(body, "problems-x")
    assert "@outpost" in beside_x, beside_x
    assert "280" in beside_x, beside_x
    assert _beside(body, "problems-mastodon") == ""  # 323 characters suit Mastodon
    assert _beside(body, "problems-general") == ""
    assert 'role="alert"' in body
    # What was typed is kept, escaped, and the boxes stay ticked.
    assert "Launch day &lt;b&gt;soon&lt;/b&gt; " in body
    assert "<b>soon</b>" not in body
    assert f'value="{x.id}" data-platform="x" checked' in body
    assert await count_rows("scheduled_posts") == 0

    # The X version fits, so the same text now schedules.
    status, _ = await _submit(client, crew, {
        "account": [str(x.id), str(mastodon.id)], "timing": "at",
        "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}", "text": text, "variant-x": "Launch!",
        "action": "schedule",
    })  # fmt: skip
    assert status == 303
    # An X version over the limit is refused beside the X tab, not taken as it is.
    status, body = await _submit(client, crew, {
        "account": [str(x.id)], "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}",
        "text": "short", "variant-x": "v" * 281, "action": "schedule",
    })  # fmt: skip
    assert status == 400
    assert "281" in _beside(body, "problems-x")
    assert await count_rows("scheduled_posts") == 1


async def test_no_account_and_a_past_time_are_shown_beside_their_fields(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    status, body = await _submit(client, crew, {
        "timing": "at", "when": "", "text": "Hello", "action": "schedule",
    })  # fmt: skip
    assert status == 400
    assert "Tick at least one account" in _beside(body, "problems-accounts")
    assert "Pick a date and time" in _beside(body, "problems-when")

    past = runtime.clock.now().astimezone(BERLIN) - timedelta(hours=2)
    status, body = await _submit(client, crew, {
        "account": str(crew.team.accounts["mastodon"].id), "timing": "at",
        "when": f"{past:%Y-%m-%dT%H:%M}", "text": "Hello", "action": "schedule",
    })  # fmt: skip
    assert status == 400
    assert "is in the past" in _beside(body, "problems-when")
    assert _beside(body, "problems-accounts") == ""
    assert f'value="{past:%Y-%m-%dT%H:%M}"' in body
    assert "`when`" not in html.unescape(body)  # the API's wording is not the form's
    assert await count_rows("scheduled_posts") == 0


async def test_form_stores_destinations_zone_time_version_and_first_comment(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    x = await connect_x(runtime, crew.team.workspace.id)
    mastodon = crew.team.accounts["mastodon"]
    due = _tomorrow(runtime)
    fields: dict[str, str | list[str]] = {
        "account": [str(x.id), str(mastodon.id)], "timing": "at",
        "when": f"{due:%Y-%m-%dT%H:%M}", "text": "The long announcement",
        "variant-x": "Short for X", "variant-mastodon": "", "first_comment": "Details: link",
    }  # fmt: skip
    status, body = await _submit(client, crew, {**fields, "action": "preview"})
    assert status == 200, body
    assert "What each network gets" in body
    assert "Short for X" in body
    assert await count_rows("scheduled_posts") == 0
    status, body = await _submit(client, crew, {**fields, "action": "schedule"})
    assert status == 303, body
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        post = await conn.fetchrow("SELECT * FROM scheduled_posts")
        dests = await conn.fetch("SELECT social_account_id FROM post_destinations")
    finally:
        await conn.close()
    assert post["scheduled_at"] == due
    assert post["timezone"] == "Europe/Berlin"
    assert post["variants"] in ({"x": "Short for X"}, '{"x": "Short for X"}')
    assert post["first_comment"] == "Details: link"
    assert post["content"] == "The long announcement"
    assert {d["social_account_id"] for d in dests} == {x.id, mastodon.id}


async def test_viewers_are_refused_by_the_form_too(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    await runtime.approvals.set_role(crew.team.workspace.id, crew.user_id, Role.VIEWER)
    status, body = await _submit(client, crew, {
        "account": str(crew.team.accounts["mastodon"].id),
        "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}", "text": "Hi", "action": "schedule",
    })  # fmt: skip
    assert status == 400
    assert "viewer" in html.unescape(_beside(body, "problems-general")).lower()
    assert await count_rows("scheduled_posts") == 0


async def test_next_slot_leaves_the_time_to_the_scheduler(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    """The form's "Next free slot" reaches the scheduler as ``queued`` with no time of its own;
    finding the slot is ``scheduler.slots`` (end to end once that lands)."""
    draft = await Scheduler(runtime).draft_fields(
        crew.team.workspace.id, text="Queued", when=None, destinations=["mastodon"],
        tz="Europe/Berlin", queued=True, variants={"mastodon": "  "}, first_comment="",
    )  # fmt: skip
    assert draft.parsed.queued
    assert draft.parsed.when is None
    assert draft.problems == ()
    assert (draft.parsed.variants, draft.parsed.first_comment) == ({}, None)
    _, body = await _submit(client, crew, {"timing": "slot", "text": "Queued"})
    assert 'value="slot" checked' in body


async def test_next_slot_takes_the_workspaces_next_free_slots_in_order(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    """Two posts sent from the form with "Next free slot" take the next two free slots, in the
    workspace's zone, and are marked as queued (so ``move`` and pull-forward apply)."""
    ws = crew.team.workspace.id
    mastodon = crew.team.accounts["mastodon"]
    await set_slots(runtime, ws, Role.OWNER, [None], parse_slots("daily 9:00, 13:00"))
    expected = await next_free_slot(runtime, ws, [mastodon.id], runtime.clock.now())
    assert expected is not None
    assert expected.astimezone(BERLIN).hour in (9, 13)
    later = await next_free_slot(runtime, ws, [mastodon.id], expected)
    for text in ("First in the queue", "Second in the queue"):
        status, body = await _submit(client, crew, {
            "account": str(mastodon.id), "timing": "slot", "text": text, "action": "schedule",
        })  # fmt: skip
        assert status in (200, 303), body
    posts = sorted(
        await runtime.posts.search(ws, statuses=["scheduled"]), key=lambda p: p.scheduled_at
    )
    assert [p.content for p in posts] == ["First in the queue", "Second in the queue"]
    assert all(p.queued for p in posts)
    assert posts[0].scheduled_at == expected
    assert posts[1].scheduled_at == later
    assert {p.scheduled_at.astimezone(BERLIN).strftime("%H:%M") for p in posts} <= {
        "09:00", "13:00",
    }  # fmt: skip


async def test_next_slot_without_slots_is_refused_beside_the_time(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    status, body = await _submit(client, crew, {
        "account": str(crew.team.accounts["mastodon"].id), "timing": "slot", "text": "Queued",
        "action": "schedule",
    })  # fmt: skip
    assert status == 400
    assert "slots" in html.unescape(body)
    assert await count_rows("scheduled_posts") == 0


async def test_an_editors_post_waits_for_approval_and_a_draft_needs_no_time(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    ws = crew.team.workspace.id
    await runtime.approvals.set_workspace_approval(ws, True)
    await runtime.approvals.set_role(ws, crew.user_id, Role.EDITOR)
    mastodon = str(crew.team.accounts["mastodon"].id)
    status, body = await _submit(client, crew, {
        "account": mastodon, "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}", "text": "Mine",
        "action": "schedule",
    })  # fmt: skip
    assert status == 303, body
    [waiting] = await Scheduler(runtime).list(ws, statuses=("pending_approval",))
    assert waiting.content == "Mine"

    unticked: dict[str, str | list[str]] = {"text": "Some day", "variant-mastodon": "not ticked"}
    status, body = await _submit(client, crew, {**unticked, "action": "preview"})
    assert ">not ticked</textarea>" in body  # kept in its box, though not sent
    status, body = await _submit(client, crew, {**unticked, "action": "draft"})
    assert status == 303, body
    [draft] = await Scheduler(runtime).list(ws, statuses=("draft",))
    assert (draft.content, draft.variants, draft.destinations) == ("Some day", {}, ())


async def test_media_with_alt_text_goes_with_the_form(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    page = await client.get("/compose")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(await page.text()))
    form.add_field("ws", str(crew.team.workspace.id))
    form.add_field("account", str(crew.team.accounts["mastodon"].id))
    form.add_field("text", "Our room")
    shot = png(tmp_path / "room.png")
    form.add_field("media", shot.open("rb"), filename="room.png", content_type="image/png")
    answer = await client.post("/compose/form", data=form)
    body = html.unescape(await answer.text())
    assert answer.status == 200, body
    assert "Description of room.png (alt text)" in body
    [media_id] = re.findall(r'name="media_id" value="([0-9a-f-]+)"', body)
    status, body = await _submit(client, crew, {
        "account": str(crew.team.accounts["mastodon"].id), "text": "Our room",
        "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}", "media_id": media_id,
        f"alt-{media_id}": "Six desks by a window", "action": "schedule",
    })  # fmt: skip
    assert status == 303, body
    [post] = await Scheduler(runtime).list(crew.team.workspace.id)
    assert [(str(m.id), m.alt) for m in post.media] == [(media_id, "Six desks by a window")]


async def test_a_long_text_is_counted_too(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    x = await connect_x(runtime, crew.team.workspace.id)
    csrf = await _csrf(client)
    answer = await _count(client, crew, {"text": "ü" * 5000, "accounts": [str(x.id)]}, csrf)
    [only] = (await answer.json())["counts"]
    assert (only["length"], only["over"]) == (5000, True)
    answer = await _count(client, crew, {"text": "a" * 100_001, "accounts": [str(x.id)]}, csrf)
    assert answer.status == 413
