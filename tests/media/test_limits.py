"""Shape limits name the destination and the limit; photos convert only when that is safe."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import ClassVar

import aiohttp
from PIL import Image

from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from scheduler.media.fit import fit_media
from scheduler.media.ingest import ingest_stream
from scheduler.media.limits import shape_problems
from scheduler.runtime import Runtime
from tests.helpers import team
from tests.media.files import image_bytes, noisy_png


class Strict(Publisher):
    """A network that takes JPEG and PNG up to 200 KB, videos up to 2 min 20 s."""

    platform = "x"
    label = "X"
    media_types: ClassVar[frozenset[str]] = frozenset({"image/jpeg", "image/png", "video/mp4"})
    max_image_bytes = 200_000

    async def publish(self, request: PublishRequest) -> Receipt:
        """Never called here."""
        raise AssertionError("not under test")


class Gram(Strict):
    platform = "instagram"
    label = "Instagram"


def request(*media: Media) -> PublishRequest:
    account = Account("a1", "x", "@acme", "token")
    return PublishRequest("d1", "k1", "hello", account, media=media)


async def test_shape_problems_name_destination_and_limit() -> None:
    async with aiohttp.ClientSession() as http:
        x, gram = Strict(http), Gram(http)
        long_video = Media("m1", "video/mp4", 1000, "h", 1280, 720, 200.0)
        short_video = Media("m2", "video/mp4", 1000, "h", 1280, 720, 0.2)
        panorama = Media("m3", "image/jpeg", 1000, "h", 9000, 1000)
        assert [str(p) for p in shape_problems(x, request(long_video))] == [
            "@acme: the file: the video is 3 min 20 s; X takes up to 2 min 20 s"
        ]
        assert "needs at least 0.5 s" in str(shape_problems(x, request(short_video))[0])
        found = [str(p) for p in shape_problems(x, request(long_video, panorama))]
        assert "@acme: file 2: 9000×1000 pixels; X takes up to 8192 on a side" in found
        assert "@acme: file 2: aspect ratio 9.00:1; X takes up to 3:1" in found
        square = Media("m4", "image/jpeg", 1000, "h", 1080, 1080)
        assert shape_problems(gram, request(square)) == []


def png(mode: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 128) if mode == "RGBA" else (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_webp_becomes_jpeg_without_asking(runtime: Runtime) -> None:
    crew = await team(runtime)
    webp = await ingest_stream(
        runtime, crew.workspace.id, one(image_bytes("WEBP", (320, 240))), filename="a.webp"
    )
    (fitted,) = await fit_media(runtime, crew.workspace.id, [webp], [Strict(runtime.http)])
    assert fitted.id != webp.id
    assert (fitted.content_type, fitted.width, fitted.height) == ("image/jpeg", 320, 240)
    assert fitted.filename == "a.jpg"


async def test_big_transparent_png_converts_only_when_asked(runtime: Runtime) -> None:
    crew = await team(runtime)
    big = noisy_png((600, 600))
    assert len(big) > Strict.max_image_bytes
    item = await ingest_stream(runtime, crew.workspace.id, one(big), filename="big.png")
    strict = [Strict(runtime.http)]
    (kept,) = await fit_media(runtime, crew.workspace.id, [item], strict)
    assert kept.id == item.id  # recompressing would lose detail: not without asking
    (shrunk,) = await fit_media(runtime, crew.workspace.id, [item], strict, allow_lossy=True)
    assert shrunk.content_type == "image/jpeg"
    assert shrunk.size_bytes <= Strict.max_image_bytes
    transparent = await ingest_stream(
        runtime, crew.workspace.id, one(png("RGBA", (64, 64))), filename="t.png"
    )
    (same,) = await fit_media(runtime, crew.workspace.id, [transparent], strict)
    assert same.id == transparent.id  # already acceptable: nothing to do


async def test_animation_is_never_flattened(runtime: Runtime) -> None:
    crew = await team(runtime)
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    item = await ingest_stream(runtime, crew.workspace.id, one(buffer.getvalue()), filename="a")
    (same,) = await fit_media(
        runtime, crew.workspace.id, [item], [Strict(runtime.http)], allow_lossy=True
    )
    assert same.id == item.id
