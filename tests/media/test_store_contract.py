"""One contract for every media store: local disk and Supabase Storage behave alike."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiohttp
import pytest

from storage.media import MediaStore, MediaStoreError
from tests.media.files import image_bytes


def key() -> str:
    return f"{uuid.uuid4()}/{uuid.uuid4().hex}"


async def read_all(store: MediaStore, name: str) -> bytes:
    return b"".join([chunk async for chunk in store.open(name)])


async def test_put_open_exists_delete(store: MediaStore, tmp_path: Path) -> None:
    data = image_bytes("PNG", (300, 200)) + b"\0" * 700_000  # more than one read chunk
    source = tmp_path / "photo.png"
    source.write_bytes(data)
    name = key()
    assert not await store.exists(name)
    await store.put_file(name, source, "image/png")
    assert await store.exists(name)
    assert await read_all(store, name) == data
    await store.delete(name)
    assert not await store.exists(name)
    await store.delete(name)  # deleting twice is fine: cleanup may be retried


async def test_writing_a_key_again_is_harmless(store: MediaStore, tmp_path: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(image_bytes())
    name = key()
    await asyncio.gather(*(store.put_file(name, source, "image/jpeg") for _ in range(3)))
    assert await read_all(store, name) == source.read_bytes()


async def test_missing_file_is_a_clear_permanent_error(store: MediaStore) -> None:
    name = key()
    with pytest.raises(MediaStoreError) as caught:
        await read_all(store, name)
    assert caught.value.retry is False
    assert "missing" in caught.value.message


async def test_signed_url_is_fetchable_and_short_lived(store: MediaStore, tmp_path: Path) -> None:
    data = image_bytes("JPEG", (120, 80))
    source = tmp_path / "x.jpg"
    source.write_bytes(data)
    name = key()
    await store.put_file(name, source, "image/jpeg")
    url = await store.signed_url(name, expires_in=60)
    async with aiohttp.ClientSession() as http:
        # Fetched with no credentials at all, as a network's fetcher would.
        async with http.get(url) as response:
            assert response.status == 200
            assert await response.read() == data
        tampered = url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")
        async with http.get(tampered) as response:
            assert response.status in (400, 403)
        expired = await store.signed_url(name, expires_in=-5)
        async with http.get(expired) as response:
            assert response.status in (400, 403)
