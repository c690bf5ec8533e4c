"""Files for media tests, made from bytes: photos, MP4s with real boxes, damaged variants."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import av
from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    """A small valid image in ``fmt``."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(size: tuple[int, int]) -> bytes:
    """A PNG that compresses badly, so its byte size grows with its pixel count."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def mp4_header(
    duration: float = 12.5, width: int = 1280, height: int = 720, brand: bytes = b"isom"
) -> bytes:
    """``ftyp`` and ``moov`` (``mvhd`` + one video ``trak``/``tkhd``) of an MP4."""
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    scale = 1000
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00"
        + struct.pack(">IIII", 0, 0, scale, int(duration * scale))
        + b"\x00" * 80,
    )
    tkhd = _box(
        b"tkhd",
        b"\x00\x00\x00\x07"
        + struct.pack(">IIIII", 0, 0, 1, 0, int(duration * scale))
        + b"\x00" * 52
        + struct.pack(">II", width << 16, height << 16),
    )
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    return ftyp + moov


def mp4_bytes(payload: int = 4096, **kw: float | int | bytes) -> bytes:
    """A small MP4: header plus an ``mdat`` of ``payload`` bytes."""
    header = mp4_header(**kw)  # type: ignore[arg-type]
    return header + struct.pack(">I4s", 8 + payload, b"mdat") + os.urandom(payload)


def write_mp4(path: Path, payload: int, duration: float = 95.0) -> int:
    """Write an MP4 with a ``payload``-byte ``mdat`` in 1 MiB pieces; returns the file size."""
    block = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        out.write(mp4_header(duration=duration))
        out.write(struct.pack(">I4s", 8 + payload, b"mdat"))
        left = payload
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)
    return path.stat().st_size


def encoded_video(
    path: Path,
    *,
    codec: str = "libx264",
    seconds: float = 2.0,
    fps: int = 10,
    size: tuple[int, int] = (64, 48),
    first: str = "black",
    then: str = "blue",
    switch: float = 0.5,
) -> Path:
    """A real, playable video made with PyAV: ``first`` until ``switch`` seconds, then ``then``.

    A keyframe every half second, so which frame becomes the poster can be told by colour.
    The container follows the suffix (``.mp4``, ``.webm``).
    """
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = max(1, fps // 2)
        for n in range(int(seconds * fps)):
            colour = first if n < switch * fps else then
            frame = av.VideoFrame.from_image(Image.new("RGB", size, colour))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
