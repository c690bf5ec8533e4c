"""What the Supabase store sends, and how it reads Storage's answers and failures."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from storage.media import MediaStoreError
from storage.supabase_store import SupabaseMediaStore
from tests.fakes.supabase import SERVICE_KEY, FakeSupabaseStorage
from tests.media.files import image_bytes

KEY = "ws/abc123"


@pytest.fixture
async def sb(supabase: FakeSupabaseStorage) -> AsyncIterator[SupabaseMediaStore]:
    store = SupabaseMediaStore(supabase.url, SERVICE_KEY, "media")
    await store.prepare()
    yield store
    await store.aclose()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(image_bytes())
    return path


async def test_bucket_created_once_and_private(supabase: FakeSupabaseStorage) -> None:
    for _ in range(2):
        store = SupabaseMediaStore(supabase.url, SERVICE_KEY, "media")
        await store.prepare()
        await store.aclose()
    creates = [r for r in supabase.requests if r.method == "POST" and r.path.endswith("/bucket")]
    assert len(creates) == 1
    assert creates[0].json == {"id": "media", "name": "media", "public": False}
    assert supabase.buckets["media"]["public"] is False
    gets = [r for r in supabase.requests if r.path == "/storage/v1/bucket/media"]
    assert [r.method for r in gets] == ["GET", "GET"]


async def test_upload_request_as_storage3_sends_it(
    sb: SupabaseMediaStore, supabase: FakeSupabaseStorage, photo: Path
) -> None:
    await sb.put_file(KEY, photo, "image/jpeg")
    upload = next(r for r in supabase.requests if r.method == "POST" and "/object/media/" in r.path)
    assert upload.path == f"/storage/v1/object/media/{KEY}"
    assert upload.headers["apiKey"] == SERVICE_KEY
    assert upload.headers["Authorization"] == f"Bearer {SERVICE_KEY}"
    assert upload.headers["x-upsert"] == "true"
    assert upload.headers["Content-Length"].isdigit()  # streamed with a known length
    assert upload.form is not None
    assert upload.form["file"]["content_type"] == "image/jpeg"
    assert upload.form["file"]["size"] == photo.stat().st_size
    assert upload.form["cacheControl"] == "31536000"
    assert supabase.object_bytes("media", KEY) == photo.read_bytes()


async def test_download_and_signing_paths(
    sb: SupabaseMediaStore, supabase: FakeSupabaseStorage, photo: Path
) -> None:
    await sb.put_file(KEY, photo, "image/jpeg")
    supabase.requests.clear()
    assert b"".join([c async for c in sb.open(KEY)]) == photo.read_bytes()
    url = await sb.signed_url(KEY, expires_in=120)
    assert await sb.exists(KEY)
    assert [(r.method, r.path) for r in supabase.requests] == [
        ("GET", f"/storage/v1/object/media/{KEY}"),
        ("POST", f"/storage/v1/object/sign/media/{KEY}"),
        ("GET", f"/storage/v1/object/info/media/{KEY}"),
    ]
    assert supabase.requests[1].json == {"expiresIn": "120"}
    assert url.startswith(f"{supabase.url}/storage/v1/object/sign/media/{KEY}?token=")
    assert SERVICE_KEY not in url


async def test_storage_semantics_of_the_fake(supabase: FakeSupabaseStorage) -> None:
    """Duplicate without x-upsert is refused (HTTP 400, 409 in the body); upsert replaces."""
    base = f"{supabase.url}/storage/v1/object/media/k"
    auth = {"apikey": SERVICE_KEY, "Authorization": f"Bearer {SERVICE_KEY}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        await http.post(f"{supabase.url}/storage/v1/bucket", json={"id": "media"})
        async with http.post(base, data=b"one", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 200
            assert await r.json() == {"Key": "media/k", "Id": supabase.objects[("media", "k")].id}
        async with http.post(base, data=b"two") as r:
            assert r.status == 400
            assert await r.json() == {
                "statusCode": "409",
                "error": "Duplicate",
                "message": "The resource already exists",
            }
        async with http.post(base, data=b"two", headers={"x-upsert": "true"}) as r:
            assert r.status == 200
        assert supabase.object_bytes("media", "k") == b"two"
        async with http.get(base + "-nope") as r:
            assert r.status == 400
            assert (await r.json())["statusCode"] == "404"
    async with aiohttp.ClientSession() as http, http.get(base) as r:
        assert r.status == 401


async def test_bad_service_key_is_named_not_shown(
    supabase: FakeSupabaseStorage, photo: Path
) -> None:
    store = SupabaseMediaStore(supabase.url, "wrong-key-123", "media")
    try:
        with pytest.raises(MediaStoreError) as caught:
            await store.prepare()
    finally:
        await store.aclose()
    assert caught.value.retry is False
    assert "SUPABASE_SERVICE_ROLE_KEY" in caught.value.hint
    assert "wrong-key-123" not in str(caught.value)


async def test_server_errors_are_retryable(
    sb: SupabaseMediaStore, supabase: FakeSupabaseStorage, photo: Path
) -> None:
    supabase.fail_next("500")
    with pytest.raises(MediaStoreError) as caught:
        await sb.put_file(KEY, photo, "image/jpeg")
    assert caught.value.retry is True
    assert "Internal Server Error" in caught.value.message
    assert ("media", KEY) not in supabase.objects
    supabase.fail_next("503")
    with pytest.raises(MediaStoreError) as caught:
        await sb.signed_url(KEY)
    assert caught.value.retry is True
    copy = pickle.loads(pickle.dumps(caught.value))  # arq stores errors by pickling
    assert (copy.message, copy.retry, copy.hint) == (
        caught.value.message,
        caught.value.retry,
        caught.value.hint,
    )


async def test_client_errors_are_permanent(
    sb: SupabaseMediaStore, supabase: FakeSupabaseStorage, photo: Path
) -> None:
    supabase.fail_next("400")
    with pytest.raises(MediaStoreError) as caught:
        await sb.put_file(KEY, photo, "image/jpeg")
    assert caught.value.retry is False
    supabase.max_object_bytes = 10
    with pytest.raises(MediaStoreError) as caught:
        await sb.put_file(KEY, photo, "image/jpeg")
    assert "too large for the bucket" in caught.value.message
    with pytest.raises(MediaStoreError) as caught:
        await sb.signed_url("ws/not-there")
    assert caught.value.retry is False


async def test_down_and_unreachable(
    sb: SupabaseMediaStore, supabase: FakeSupabaseStorage, photo: Path
) -> None:
    supabase.down = True
    for call in (
        lambda: sb.put_file(KEY, photo, "image/jpeg"),
        lambda: sb.exists(KEY),
        lambda: sb.delete(KEY),
        lambda: sb.signed_url(KEY),
    ):
        with pytest.raises(MediaStoreError) as caught:
            await call()
        assert caught.value.retry is True
        assert "Supabase Storage is unreachable" in caught.value.message
    with pytest.raises(MediaStoreError):
        await anext(sb.open(KEY))
    await supabase.stop()  # nothing listening at all: connection refused
    with pytest.raises(MediaStoreError) as caught:
        await sb.put_file(KEY, photo, "image/jpeg")
    assert "unreachable" in caught.value.message
