"""Media upload, accounts, callback endpoints and the callback secret."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image

from tests.api.conftest import Api
from tests.helpers import count_rows


def png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


def form(data: bytes, name: str = "photo.png", field: str = "file") -> aiohttp.FormData:
    out = aiohttp.FormData()
    out.add_field(field, data, filename=name, content_type="application/octet-stream")
    return out


async def test_upload_then_post_with_media(api: Api) -> None:
    status, media, _ = await api.call("POST", "/api/v1/media", data=form(png()))
    assert status == 201, media
    assert (media["content_type"], media["width"], media["height"]) == ("image/png", 64, 48)
    assert media["filename"] == "photo.png"
    status, post, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"request": "tomorrow 9am to mastodon: with a photo", "media": [media["id"]]},
    )
    assert status == 201, post
    assert [m["id"] for m in post["media"]] == [media["id"]]
    assert list((api.rt.settings.data_dir / "tmp").iterdir()) == []


async def test_upload_idempotency_and_refusals(api: Api) -> None:
    key = {"Idempotency-Key": "upload-1"}
    status, first, _ = await api.call("POST", "/api/v1/media", data=form(png()), headers=key)
    assert status == 201
    status, again, _ = await api.call("POST", "/api/v1/media", data=form(png()), headers=key)
    assert (status, again) == (201, first)
    status, answer, _ = await api.call("POST", "/api/v1/media", data=form(png("blue")), headers=key)
    assert status == 409, answer
    status, answer, _ = await api.call("POST", "/api/v1/media", data=form(b"not an image"))
    assert status == 422
    assert "photo or a video" in answer["error"]["message"]
    status, answer, _ = await api.call("POST", "/api/v1/media", data=form(png(), field="upload"))
    assert status == 422
    assert "file" in answer["error"]["message"]
    status, answer, _ = await api.call("POST", "/api/v1/media", json={"file": "x"})
    assert status == 400
    assert "multipart" in answer["error"]["message"]
    assert await count_rows("media_library") == 2
    assert list((api.rt.settings.data_dir / "tmp").iterdir()) == []


async def test_accounts_list_add_remove(api: Api) -> None:
    status, listed, _ = await api.call("GET", "/api/v1/accounts")
    assert status == 200
    assert [a["platform"] for a in listed["items"]] == ["mastodon"]
    assert "token" not in str(listed)
    status, made, _ = await api.call(
        "POST",
        "/api/v1/accounts",
        json={"platform": "hook", "handle": "n8n", "base_url": "https://n8n.example.com/webhook/1"},
    )
    assert status == 201, made
    assert made["account"]["platform"] == "webhook"
    assert made["secret"].startswith("whsec_")
    status, answer, _ = await api.call(
        "POST", "/api/v1/accounts", json={"platform": "linkedin", "handle": "acme", "token": "t"}
    )
    assert status == 422
    assert "connect" in answer["error"]["message"]
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/accounts",
        json={"platform": "mastodon", "handle": "@a@b.social", "token": "t"},
    )
    assert status == 422
    assert "base_url" in answer["error"]["message"]
    status, _, _ = await api.call("DELETE", f"/api/v1/accounts/{made['account']['id']}")
    assert status == 204
    status, _, _ = await api.call("DELETE", f"/api/v1/accounts/{made['account']['id']}")
    assert status == 404
    status, listed, _ = await api.call("GET", "/api/v1/accounts")
    assert [a["platform"] for a in listed["items"]] == ["mastodon"]


async def test_callback_endpoints_and_secret(api: Api) -> None:
    status, secret, _ = await api.call("GET", "/api/v1/callbacks/secret")
    assert status == 200
    assert secret["secret"].startswith("whsec_")
    assert (await api.call("GET", "/api/v1/callbacks/secret"))[1] == secret
    status, made, _ = await api.call(
        "POST", "/api/v1/callbacks/endpoints", json={"url": "https://example.com/outpost"}
    )
    assert status == 201, made
    status, dup, _ = await api.call(
        "POST", "/api/v1/callbacks/endpoints", json={"url": "https://example.com/outpost"}
    )
    assert status == 409, dup
    status, bad, _ = await api.call(
        "POST", "/api/v1/callbacks/endpoints", json={"url": "ftp://example.com"}
    )
    assert status == 422, bad
    status, listed, _ = await api.call("GET", "/api/v1/callbacks/endpoints")
    assert [e["url"] for e in listed["items"]] == ["https://example.com/outpost"]
    assert (await api.call("DELETE", f"/api/v1/callbacks/endpoints/{made['id']}"))[0] == 204
    assert (await api.call("DELETE", f"/api/v1/callbacks/endpoints/{made['id']}"))[0] == 404
