"""REST: `"fit_media": true` on POST /api/v1/posts, in the OpenAPI document and at work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from scheduler.runtime import Runtime
from tests.api.conftest import Api, start_api
from tests.api.test_resources import form
from tests.helpers import count_rows
from tests.media.test_fit_ask import crew_with, half_transparent
from webhooks.openapi import document


@pytest.fixture
async def gram_api(runtime: Runtime) -> AsyncIterator[Api]:
    crew = await crew_with(runtime, "instagram")
    server, http, token = await start_api(runtime, crew)
    yield Api(str(server.make_url("")).rstrip("/"), http, crew, token, runtime)
    await http.close()
    await server.close()


def test_openapi_documents_fit_media_on_both_post_shapes() -> None:
    schemas = document()["components"]["schemas"]
    for shape in ("RequestPost", "FieldsPost"):
        field = schemas[shape]["properties"]["fit_media"]
        assert field["type"] == "boolean"
        assert field["default"] is False
        assert "convert" in field["description"]


async def test_fit_media_converts_only_when_sent(gram_api: Api) -> None:
    api = gram_api
    status, media, _ = await api.call("POST", "/api/v1/media", data=form(half_transparent()))
    assert status == 201
    assert media["content_type"] == "image/png"
    when = (api.rt.clock.now() + timedelta(days=1)).isoformat()
    body = {"text": "Logo", "when": when, "destinations": ["instagram"], "media": [media["id"]]}
    status, refused, _ = await api.call("POST", "/api/v1/posts", json=body)
    assert status == 422
    assert refused["error"]["problems"] == [
        "acme-instagram: Instagram does not take image/png files"
    ]
    assert '"fit_media": true' in refused["error"]["message"]
    assert await count_rows("scheduled_posts") == 0

    status, created, _ = await api.call("POST", "/api/v1/posts", json={**body, "fit_media": True})
    assert status == 201
    [sent] = created["media"]
    assert sent["content_type"] == "image/jpeg"
    assert sent["id"] != media["id"]
    assert sent["sha256"] != media["sha256"]

    status, _, _ = await api.call("POST", "/api/v1/posts", json={**body, "fit_media": "yes"})
    assert status == 422  # a boolean, not any truthy value
    request = {"request": "tomorrow 9am to instagram: Logo", "media": [media["id"]]}
    status, refused, _ = await api.call("POST", "/api/v1/posts", json=request)
    assert status == 422
    assert '"fit tomorrow 9am to instagram: Logo"' in refused["error"]["message"]
    status, _, _ = await api.call("POST", "/api/v1/posts", json={**request, "fit_media": True})
    assert status == 201
