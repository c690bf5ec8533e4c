"""Taking files in: identified by content, measured, stored once, bad input refused cleanly."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from core.errors import RequestProblem
from scheduler.media.ingest import ingest_path, ingest_stream, thumbnail
from scheduler.runtime import Runtime
from storage.media import MediaStoreError
from storage.supabase_store import SupabaseMediaStore
from tests.fakes.supabase import SERVICE_KEY, FakeSupabaseStorage
from tests.helpers import count_rows, team
from tests.media.files import image_bytes, mp4_bytes, mp4_header


async def chunks_of(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def spool_is_empty(rt: Runtime) -> bool:
    spool = rt.settings.data_dir / "tmp"
    return not spool.exists() or not any(spool.iterdir())


async def test_identified_by_content_not_name(media_rt: Runtime, tmp_path: Path) -> None:
    crew = await team(media_rt)
    lying = tmp_path / "holiday.mp4"
    lying.write_bytes(image_bytes("PNG", (640, 480)))
    item = await ingest_path(media_rt, crew.workspace.id, lying)
    assert (item.content_type, item.width, item.height) == ("image/png", 640, 480)
    assert item.filename == "holiday.png"
    assert item.size_bytes == lying.stat().st_size
    video = await ingest_stream(
        media_rt, crew.workspace.id, chunks_of(mp4_bytes(200_000)), filename="clip.jpg"
    )
    assert video.content_type == "video/mp4"
    assert (video.width, video.height, video.duration_seconds) == (1280, 720, 12.5)
    assert video.filename == "clip.mp4"
    assert b"".join([c async for c in media_rt.media.open(video.storage_key)])[:4] != b""
    assert spool_is_empty(media_rt)


async def test_thumbnails_for_the_calendar(media_rt: Runtime) -> None:
    crew = await team(media_rt)
    photo = await ingest_stream(
        media_rt, crew.workspace.id, chunks_of(image_bytes("PNG", (1200, 600))), filename="p"
    )
    small = await thumbnail(media_rt, photo)
    assert small is not None
    with Image.open(io.BytesIO(small)) as image:
        assert (image.format, image.size) == ("JPEG", (160, 80))
    video = await ingest_stream(media_rt, crew.workspace.id, chunks_of(mp4_bytes()), filename="v")
    assert await thumbnail(media_rt, video) is None


async def test_same_file_twice_is_stored_once_per_workspace(
    media_rt: Runtime, supabase: FakeSupabaseStorage, tmp_path: Path
) -> None:
    first = await team(media_rt, "first")
    second = await team(media_rt, "second")
    data = image_bytes("JPEG", (200, 100))
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    one = await ingest_path(media_rt, first.workspace.id, path)
    two = await ingest_stream(media_rt, first.workspace.id, chunks_of(data), filename="b.jpg")
    other = await ingest_stream(media_rt, second.workspace.id, chunks_of(data), filename="c.jpg")
    assert one.id == two.id
    assert one.storage_key == two.storage_key
    assert other.id != one.id
    assert await count_rows("media_library") == 2
    if isinstance(media_rt.media, SupabaseMediaStore):
        assert supabase.created_keys() == [f"media/{one.storage_key}", f"media/{other.storage_key}"]
    else:
        stored = [p for p in (media_rt.settings.data_dir / "media").rglob("*") if p.is_file()]
        assert len(stored) == 2


async def test_missing_bytes_are_stored_again(media_rt: Runtime, tmp_path: Path) -> None:
    crew = await team(media_rt)
    data = image_bytes("GIF", (10, 10))
    item = await ingest_stream(media_rt, crew.workspace.id, chunks_of(data), filename="x.gif")
    await media_rt.media.delete(item.storage_key)
    again = await ingest_stream(media_rt, crew.workspace.id, chunks_of(data), filename="x.gif")
    assert again.id == item.id
    assert await media_rt.media.exists(item.storage_key)


BAD = {
    "not media, named .jpg": (b"%PDF-1.7\n" + b"x" * 500, "can't read this file"),
    "truncated jpeg": (image_bytes("JPEG", (800, 600), "blue")[:-900], "cut off"),
    "truncated png": (image_bytes("PNG", (300, 300))[:-40], "cut off"),
    "truncated mp4": (mp4_bytes(100_000)[:50_000], "cut off"),
    "mp4 without moov": (mp4_header()[:32] + b"\0\0\0\x10mdat" + b"\0" * 8, "no index"),
    "heic photo": (mp4_header(brand=b"heic"), "HEIC"),
    "zero bytes": (b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_input_is_refused_and_leaves_nothing(
    media_rt: Runtime, supabase: FakeSupabaseStorage, case: str
) -> None:
    data, expected = BAD[case]
    crew = await team(media_rt)
    with pytest.raises(RequestProblem) as caught:
        await ingest_stream(media_rt, crew.workspace.id, chunks_of(data), filename="photo.jpg")
    assert expected in str(caught.value)
    assert caught.value.hint  # always says what to do instead
    assert await count_rows("media_library") == 0
    assert supabase.created_keys() == []
    assert not list((media_rt.settings.data_dir / "media").rglob("*.*"))
    assert spool_is_empty(media_rt)


async def test_over_the_limit_stops_reading_early(media_rt: Runtime) -> None:
    crew = await team(media_rt)
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"\0" * 65536

    with pytest.raises(RequestProblem) as caught:
        await ingest_stream(
            media_rt, crew.workspace.id, endless(), filename="big.mp4", max_bytes=1024 * 1024
        )
    assert "up to 1 MB" in str(caught.value)
    assert pulled == 17  # 16 chunks fill the limit; the 17th passes it and stops the read
    assert await count_rows("media_library") == 0
    assert spool_is_empty(media_rt)


async def test_file_on_disk_over_the_workspace_limit(media_rt: Runtime, tmp_path: Path) -> None:
    # MEDIA_MAX_UPLOAD_MB, set the way load_settings would once the setting exists.
    small = media_rt.settings.model_copy(update={"media_max_upload_mb": 0.1})
    rt = dataclasses.replace(media_rt, settings=small)
    crew = await team(rt)
    path = tmp_path / "v.mp4"
    path.write_bytes(mp4_bytes(300_000))
    with pytest.raises(RequestProblem) as caught:
        await ingest_path(rt, crew.workspace.id, path)
    assert "The file is 0.3 MB; this workspace takes files up to 0.1 MB" in str(caught.value)
    assert await count_rows("media_library") == 0


@pytest.mark.parametrize("how", ["dropped mid-upload", "answers 500", "not listening"])
async def test_supabase_down_during_upload(
    runtime: Runtime, supabase: FakeSupabaseStorage, how: str
) -> None:
    store = SupabaseMediaStore(supabase.url, SERVICE_KEY, "media")
    await store.prepare()
    rt = dataclasses.replace(runtime, media=store)
    crew = await team(rt)
    if how == "dropped mid-upload":
        supabase.drop_upload_after = 100_000
    elif how == "answers 500":
        supabase.fail_next("500")
    else:
        await supabase.stop()
    try:
        with pytest.raises(MediaStoreError) as caught:
            await ingest_stream(rt, crew.workspace.id, chunks_of(mp4_bytes(400_000)), filename="v")
    finally:
        await store.aclose()
    assert caught.value.retry is True
    assert "Supabase Storage" in caught.value.message
    assert caught.value.hint
    assert await count_rows("media_library") == 0
    assert supabase.objects == {}
    assert spool_is_empty(rt)
