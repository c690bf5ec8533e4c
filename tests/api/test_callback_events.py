"""Every callback event the worker records is one the API's document allows in the delivery
log, so a client validating responses against /api/v1/openapi.json accepts the log."""

from __future__ import annotations

import uuid

import jsonschema

from core.states import CallbackEvent
from scheduler.hooks.callbacks import emit
from tests.api.conftest import Api
from webhooks.openapi import document


async def test_the_delivery_log_of_destination_events_matches_the_document(api: Api) -> None:
    status, created, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"request": "tomorrow 9am to mastodon: hi", "callback_url": "https://example.com/cb"},
    )
    assert status == 201, created
    post = await api.rt.posts.get(uuid.UUID(created["id"]))
    dest_id = str(post.destinations[0].id)
    for event in (CallbackEvent.DESTINATION_PUBLISHED, CallbackEvent.DESTINATION_FAILED):
        assert await emit(api.rt, post, event, dest_id) == 1
    status, log, _ = await api.call("GET", f"/api/v1/posts/{post.id}/callbacks")
    assert status == 200
    assert {c["event"] for c in log["items"]} == {
        "post.scheduled",
        "destination.published",
        "destination.failed",
    }
    schema = document()["components"]["schemas"]["CallbackDelivery"]
    for item in log["items"]:
        jsonschema.validate(item, schema)
