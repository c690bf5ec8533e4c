"""Video poster frames: made at upload from real MP4 and WebM files, stored next to the video,
a placeholder when nothing decodes, gone with the video."""

from __future__ import annotations

import io
from pathlib import Path

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from scheduler.media import frames as media_frames
from scheduler.media.cleanup import remove_orphans
from scheduler.media.frames import POSTER_SIDE, poster_frame
from scheduler.media.ingest import ingest_path, thumbnail
from scheduler.media.poster import poster_key
from scheduler.runtime import Runtime
from storage.views import MediaView
from tests.helpers import count_rows, team
from tests.media.files import encoded_video, mp4_bytes
from tests.media.test_cleanup import age


def colour(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return (pixel[0], pixel[1], pixel[2])


def is_blue(rgb: tuple[int, int, int]) -> bool:
    return rgb[2] > 200 and rgb[0] < 40 and rgb[1] < 40


async def read(rt: Runtime, key: str) -> bytes:
    return b"".join([chunk async for chunk in rt.media.open(key)])


@pytest.mark.parametrize(("name", "codec"), [("clip.mp4", "libx264"), ("clip.webm", "libvpx")])
def test_poster_skips_the_black_opening_and_keeps_the_shape(
    tmp_path: Path, name: str, codec: str
) -> None:
    video = encoded_video(tmp_path / name, codec=codec, size=(640, 360))
    data = poster_frame(video)
    assert data is not None
    assert data[:3] == b"\xff\xd8\xff"  # a JPEG
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (POSTER_SIDE, 270)
    assert is_blue(colour(data))  # the keyframe at 0.5 s, not the black first frame


def test_portrait_phone_video_poster_is_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.set_display_rotation(-90)  # stored sideways, played turned clockwise
        sideways = Image.new("RGB", (64, 48), "red")
        sideways.paste((0, 0, 255), (32, 0, 64, 48))
        for _ in range(5):
            for packet in stream.encode(av.VideoFrame.from_image(sideways)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = poster_frame(path)
    assert data is not None
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (48, 64)
        top, bottom = image.getpixel((24, 5)), image.getpixel((24, 58))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 200 > bottom[0]  # the red left side is on top once turned clockwise
    assert bottom[2] > 200


def test_frames_too_large_to_be_worth_decoding_give_no_poster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = encoded_video(tmp_path / "clip.mp4")
    monkeypatch.setattr(media_frames, "MAX_PIXELS", 64 * 48 - 1)
    assert poster_frame(video) is None
    monkeypatch.setattr(media_frames, "MAX_PIXELS", 64 * 48)
    assert poster_frame(video) is not None


def test_undecodable_and_non_video_files_have_no_poster(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(mp4_bytes())  # real boxes, noise where the frames should be
    assert poster_frame(broken) is None
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    assert poster_frame(text) is None


async def test_upload_stores_and_records_the_poster(media_rt: Runtime, tmp_path: Path) -> None:
    crew = await team(media_rt)
    video = encoded_video(tmp_path / "launch.webm", codec="libvpx")
    item = await ingest_path(media_rt, crew.workspace.id, video)
    assert item.content_type == "video/webm"
    posters = await media_rt.library.posters([item.storage_key])
    assert posters == {item.storage_key: poster_key(item.storage_key)}
    assert is_blue(colour(await read(media_rt, poster_key(item.storage_key))))
    small = await thumbnail(media_rt, item)
    assert small is not None
    assert is_blue(colour(small))
    # The same video again is the same row; its poster is not made twice.
    again = await ingest_path(media_rt, crew.workspace.id, video)
    assert again.id == item.id
    assert await count_rows("media_posters") == 1


async def test_undecodable_video_is_taken_with_a_placeholder(
    media_rt: Runtime, tmp_path: Path
) -> None:
    crew = await team(media_rt)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(mp4_bytes())
    item = await ingest_path(media_rt, crew.workspace.id, broken)
    assert item.content_type == "video/mp4"
    assert await media_rt.library.posters([item.storage_key]) == {item.storage_key: None}
    assert not await media_rt.media.exists(poster_key(item.storage_key))
    assert await thumbnail(media_rt, item) is None


async def test_local_poster_is_served_as_jpeg(
    runtime: Runtime, served: TestServer, tmp_path: Path
) -> None:
    crew = await team(runtime)
    item = await ingest_path(runtime, crew.workspace.id, encoded_video(tmp_path / "a.mp4"))
    url = await runtime.media.signed_url(poster_key(item.storage_key))
    path = url.split("/media/", 1)[1]
    async with (
        aiohttp.ClientSession() as http,
        http.get(str(served.make_url("/media/" + path))) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert is_blue(colour(await resp.read()))


async def test_cleanup_takes_the_poster_with_the_video(media_rt: Runtime, tmp_path: Path) -> None:
    crew = await team(media_rt)
    item: MediaView = await ingest_path(
        media_rt, crew.workspace.id, encoded_video(tmp_path / "a.mp4")
    )
    assert await media_rt.media.exists(poster_key(item.storage_key))
    await age(item, 48)
    assert [m.id for m in await remove_orphans(media_rt)] == [item.id]
    assert not await media_rt.media.exists(item.storage_key)
    assert not await media_rt.media.exists(poster_key(item.storage_key))
    assert await count_rows("media_posters") == 0
