"""What is done in the calendar reaches the workspace's callback endpoints, signed: a post
saved in the compose box, then moved, edited and cancelled on its page."""

from __future__ import annotations

import html
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.callback_support import delivering, listen, received
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.web.conftest import Crew, csrf_of

BERLIN = ZoneInfo("Europe/Berlin")


async def _compose(client: TestClient[object, object], crew: Crew, request: str) -> str:
    page = await client.get("/compose")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(await page.text()))
    form.add_field("ws", str(crew.team.workspace.id))
    form.add_field("request", request)
    form.add_field("action", "save")
    answer = await client.post("/compose", data=form)
    assert answer.status == 200
    return html.unescape(await answer.text())


async def _act(
    client: TestClient[object, object], post_id: str, action: str, **data: str
) -> None:
    page = await client.get(f"/posts/{post_id}")
    form = {"csrf": csrf_of(await page.text()), **data}
    answer = await client.post(f"/posts/{post_id}/{action}", data=form)
    assert answer.status == 200, await answer.text()


async def test_compose_reschedule_edit_cancel_each_send_their_signed_event(
    runtime: Runtime,
    client: TestClient[object, object],
    crew: Crew,
    receiver: FakeWebhookReceiver,
) -> None:
    await listen(runtime, crew.team.workspace.id, receiver)
    async with delivering(runtime):
        assert "Done: scheduled" in await _compose(
            client, crew, "tomorrow 9am to mastodon: Composed in the calendar"
        )
        [scheduled] = await received(receiver, "post.scheduled")
        [post] = await Scheduler(runtime).list(crew.team.workspace.id)
        post_id = str(post.id)
        assert scheduled["data"]["post_id"] == post_id
        assert scheduled["data"]["text"] == "Composed in the calendar"

        when = (runtime.clock.now() + timedelta(days=5)).astimezone(BERLIN)
        await _act(client, post_id, "reschedule", when=when.strftime("%Y-%m-%dT%H:%M"))
        [moved] = await received(receiver, "post.rescheduled")
        assert moved["data"]["post_id"] == post_id
        expected = when.replace(second=0, microsecond=0).astimezone(ZoneInfo("UTC"))
        assert moved["data"]["scheduled_at"] == expected.isoformat().replace("+00:00", "Z")

        await _act(client, post_id, "edit", text="Edited in the calendar")
        [edited] = await received(receiver, "post.edited")
        assert edited["data"]["text"] == "Edited in the calendar"

        await _act(client, post_id, "cancel")
        [cancelled] = await received(receiver, "post.cancelled")
        assert cancelled["data"]["status"] == "cancelled"
        assert {d["status"] for d in cancelled["data"]["destinations"]} == {"cancelled"}
