"""Every change of state sends its own signed event, whichever adapter asked: the shell
(``outpost schedule``, ``outpost cancel``) and the REST API's reschedule and cancel."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.settings import Settings
from scheduler.runtime import Runtime
from tests.api.conftest import Api
from tests.callback_support import delivering, listen, received
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.helpers import team
from tests.support import env_for
from tests.test_app import outpost
from webhooks.events import EVENTS
from webhooks.openapi import document, problems


async def test_the_shell_sends_signed_post_scheduled_and_post_cancelled(
    settings: Settings, runtime: Runtime, mastodon: FakeMastodon, receiver: FakeWebhookReceiver
) -> None:
    crew = await team(runtime, "shell", mastodon_url=mastodon.url)
    await listen(runtime, crew.workspace.id, receiver)
    env = env_for(settings)
    async with delivering(runtime):
        made = await asyncio.to_thread(
            outpost, env, "schedule", "tomorrow 9am to mastodon: From a script",
            "--workspace", "shell",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        post_id = made.stdout.split()[0]
        [scheduled] = await received(receiver, "post.scheduled")
        assert scheduled["data"]["post_id"] == post_id
        assert scheduled["data"]["text"] == "From a script"
        gone = await asyncio.to_thread(outpost, env, "cancel", post_id)
        assert gone.returncode == 0, gone.stderr
        [cancelled] = await received(receiver, "post.cancelled")
        assert cancelled["data"]["post_id"] == post_id
        assert cancelled["data"]["status"] == "cancelled"


async def test_api_reschedule_and_cancel_send_their_own_events(
    api: Api, api_worker: object, receiver: FakeWebhookReceiver
) -> None:
    await listen(api.rt, api.crew.workspace.id, receiver)
    status, post, _ = await api.call(
        "POST", "/api/v1/posts", json={"request": "tomorrow 9am to mastodon: Moving soon"}
    )
    assert status == 201, post
    when = (api.rt.clock.now() + timedelta(days=3)).replace(microsecond=0)
    status, moved, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/reschedule", json={"when": when.isoformat()}
    )
    assert status == 200, moved
    [rescheduled] = await received(receiver, "post.rescheduled")
    assert rescheduled["data"]["post_id"] == post["id"]
    assert rescheduled["data"]["scheduled_at"] == when.isoformat().replace("+00:00", "Z")
    status, _, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/cancel")
    assert status == 200
    [cancelled] = await received(receiver, "post.cancelled")
    assert cancelled["data"]["status"] == "cancelled"
    # One post.scheduled: a reschedule is its own event, not a second "scheduled".
    assert len(await received(receiver, "post.scheduled")) == 1
    status, log, _ = await api.call("GET", f"/api/v1/posts/{post['id']}/callbacks")
    assert status == 200
    assert sorted(c["event"] for c in log["items"]) == [
        "post.cancelled", "post.rescheduled", "post.scheduled",
    ]  # fmt: skip


def test_every_event_is_documented_under_webhooks_with_its_body() -> None:
    doc = document()
    assert set(doc["webhooks"]) == set(EVENTS)
    for name in ("post.scheduled", "post.rescheduled", "post.edited", "post.cancelled",
                 "account.needs_reconnect"):  # fmt: skip
        body = doc["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].startswith("#/components/schemas/")
    log_enum = doc["components"]["schemas"]["CallbackDelivery"]["properties"]["event"]["enum"]
    assert set(log_enum) == set(EVENTS)


async def test_the_bodies_sent_match_the_documented_schemas(
    api: Api, api_worker: object, receiver: FakeWebhookReceiver
) -> None:
    await listen(api.rt, api.crew.workspace.id, receiver)
    status, post, _ = await api.call(
        "POST", "/api/v1/posts", json={"request": "tomorrow 9am to mastodon: Checked"}
    )
    assert status == 201, post
    status, _, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/cancel")
    assert status == 200
    for event in ("post.scheduled", "post.cancelled"):
        [body] = await received(receiver, event)
        assert problems("PostEvent", body) == []
    assert problems("PostEvent", {"type": "post.nothing", "timestamp": "x", "data": {}}) != []
