"""Uploads are parsed with bounded effort and only real media passes for media.

Found in production: an MP4 of boxes nested thousands deep ended in a RecursionError (a 500),
and a GIF or WebM header followed by HTML was stored as a picture or a video, to be served from
our own origin.
"""

from __future__ import annotations

import io
import struct
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from app.web import build_app
from core.errors import RequestProblem
from scheduler.media.ingest import ingest_path
from scheduler.media.sniff import sniff
from scheduler.runtime import Runtime
from tests.helpers import team
from tests.media.files import encoded_video
from tests.media.test_webm import element, webm
from tests.security.conftest import Api, LoopWatchdog

HTML = b"<html><body><script>alert(document.domain)</script></body></html>\n"
EBML_WEBM = element(b"\x1a\x45\xdf\xa3", element(b"\x42\x82", b"webm"))
UNKNOWN_SEGMENT = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def deep_mp4(depth: int = 5000) -> bytes:
    inner = b""
    for _ in range(depth):
        inner = _box(b"moov", inner)
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isom") + inner


def gif(frames: int = 1) -> bytes:
    out = io.BytesIO()
    images = [Image.new("P", (8, 8), n) for n in range(frames)]
    images[0].save(out, "GIF", save_all=frames > 1, append_images=images[1:])
    return out.getvalue()


def _form(data: bytes, name: str) -> aiohttp.FormData:
    out = aiohttp.FormData()
    out.add_field("file", data, filename=name, content_type="application/octet-stream")
    return out


def _sniff_bytes(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.bin"
    path.write_bytes(data)
    return sniff(path).content_type


async def test_deeply_nested_mp4_boxes_are_a_4xx_with_a_reason(
    api: Api, loop_watchdog: LoopWatchdog
) -> None:
    status, answer, _ = await api.call("POST", "/api/v1/media", data=_form(deep_mp4(), "a.mp4"))
    assert status == 422, answer
    assert "nest too deeply" in str(answer)


def test_a_box_count_past_any_real_file_is_refused(tmp_path: Path) -> None:
    many = _box(b"ftyp", b"isom\x00\x00\x02\x00isom") + _box(b"free", b"") * 250_000
    with pytest.raises(RequestProblem, match="too many boxes"):
        _sniff_bytes(tmp_path, many)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GIF89a" + HTML, id="gif-magic-then-html"),
        pytest.param(gif() + HTML, id="valid-gif-then-html"),
        pytest.param(gif()[:-1] + HTML, id="gif-without-trailer-then-html"),
        pytest.param(EBML_WEBM + HTML, id="webm-header-then-html"),
        pytest.param(EBML_WEBM + UNKNOWN_SEGMENT + HTML, id="webm-segment-then-html"),
        pytest.param(b"\x1a\x45\xdf\xa3\x84\x42\x82\x84webm" + HTML, id="webm-magic-then-html"),
        pytest.param(
            element(b"\x1a\x45\xdf\xa3", element(b"\x42\x82", b"html")) + UNKNOWN_SEGMENT + HTML,
            id="ebml-of-another-doctype",
        ),
    ],
)
def test_a_media_header_followed_by_html_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(RequestProblem):
        _sniff_bytes(tmp_path, data)


def test_real_gifs_and_webms_still_pass(tmp_path: Path) -> None:
    assert _sniff_bytes(tmp_path, gif()) == "image/gif"
    assert _sniff_bytes(tmp_path, gif(frames=3)) == "image/gif"
    assert _sniff_bytes(tmp_path, gif() + b"\x00\x00\r\n") == "image/gif"  # encoder padding
    assert _sniff_bytes(tmp_path, webm(1_500.0)) == "video/webm"
    made = encoded_video(tmp_path / "clip.webm", codec="libvpx")
    assert sniff(made).content_type == "video/webm"


async def test_the_media_route_never_serves_a_page(runtime: Runtime, tmp_path: Path) -> None:
    crew = await team(runtime)
    picture = tmp_path / "p.gif"
    picture.write_bytes(gif())
    item = await ingest_path(runtime, crew.workspace.id, picture)
    server = TestServer(build_app(runtime), host="127.0.0.1")
    await server.start_server()
    try:
        url = await runtime.media.signed_url(item.storage_key)
        async with (
            aiohttp.ClientSession() as http,
            http.get(str(server.make_url("/media/" + url.split("/media/", 1)[1]))) as resp,
        ):
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "image/gif"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Content-Disposition"] == "inline"
            assert "sandbox" in resp.headers["Content-Security-Policy"]
    finally:
        await server.close()
