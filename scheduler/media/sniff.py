"""What a file is, from its bytes alone: type, pixel size, video duration.

File names and declared content types lie (a PNG saved as ``.jpg``, a PDF called
``video.mp4``), so they are never consulted. Every check reads a bounded amount: MP4 boxes
are walked by seeking, JPEGs decode at reduced scale, and the whole file is never loaded.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from core.errors import RequestProblem
from core.i18n import msg
from scheduler.media import webm

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}
# ISO-BMFF brands: which ones are videos we take, which are photos or audio we don't.
STILL_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
SUPPORTED = msg("Send a JPEG, PNG, GIF, WebP, MP4, MOV or WebM file.")
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf"}
# Real files nest moov/trak/mdia/minf four deep and hold a few thousand boxes (fragmented MP4:
# two per fragment); past these a file is built to exhaust the walk, not to be played.
MAX_DEPTH = 8
MAX_BOXES = 200_000


@dataclass(frozen=True)
class Sniffed:
    """What a file is, from its bytes."""

    content_type: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None


def _problem(message: str, hint: str = SUPPORTED) -> RequestProblem:
    return RequestProblem([message], hint)


@dataclass
class _Movie:
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    has_moov: bool = False
    boxes: int = 0


def _read_mvhd(handle: BinaryIO, movie: _Movie) -> None:
    version = handle.read(4)[0]
    if version == 1:
        handle.read(16)
        scale, length = struct.unpack(">IQ", handle.read(12))
    else:
        handle.read(8)
        scale, length = struct.unpack(">II", handle.read(8))
    movie.duration = round(length / scale, 3) if scale else None


def _read_tkhd(handle: BinaryIO, movie: _Movie) -> None:
    version = handle.read(4)[0]
    handle.read(32 if version == 1 else 20)  # times, track id, reserved, duration
    handle.read(52)  # reserved, layer, group, volume, reserved, matrix
    width, height = struct.unpack(">II", handle.read(8))
    # Audio tracks are 0x0; the first track with a picture gives the video's size.
    if width and height and movie.width is None:
        movie.width, movie.height = width >> 16, height >> 16


def _walk(
    handle: BinaryIO, start: int, end: int, movie: _Movie, file_end: int, depth: int = 0
) -> None:
    """Walk boxes in ``[start, end)``; a box running past the file's end means truncation."""
    if depth > MAX_DEPTH:
        raise _problem(msg("The video file is damaged (its boxes nest too deeply)."))
    pos = start
    while pos + 8 <= end:
        movie.boxes += 1
        if movie.boxes > MAX_BOXES:
            raise _problem(msg("The video file is damaged (it holds too many boxes)."))
        handle.seek(pos)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _problem(msg("The video file is damaged (a box header is cut off)."))
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise _problem(msg("The video file is damaged (a box has an impossible size)."))
        if pos + size > file_end:
            raise _problem(
                msg("The video file is cut off: it ends before its data does."),
                msg("The upload was probably interrupted; send the video again."),
            )
        body = pos + header
        if kind == b"moov":
            movie.has_moov = True
        if kind in CONTAINERS:
            _walk(handle, body, pos + size, movie, file_end, depth + 1)
        elif kind == b"mvhd" and size >= header + 32:
            handle.seek(body)
            _read_mvhd(handle, movie)
        elif kind == b"tkhd" and size >= header + 84:
            handle.seek(body)
            _read_tkhd(handle, movie)
        pos += size


def _iso_media(path: Path, head: bytes, file_end: int) -> Sniffed:
    brand = head[8:12]
    if brand in STILL_BRANDS:
        raise _problem(
            msg("HEIC/AVIF photos are not supported."),
            msg("Send it as JPEG or PNG (on an iPhone: Settings → Camera → Formats → Most "
                "Compatible)."),
        )
    if brand in AUDIO_BRANDS:
        raise _problem(msg("Audio files are not supported."))
    movie = _Movie()
    with path.open("rb") as handle:
        _walk(handle, 0, file_end, movie, file_end)
    if not movie.has_moov:
        raise _problem(
            msg("The video has no index (moov box): it is incomplete or still being recorded."),
            msg("Export or send the finished video again."),
        )
    kind = "video/quicktime" if brand == b"qt  " else "video/mp4"
    return Sniffed(kind, movie.width, movie.height, movie.duration)


def _image(path: Path) -> Sniffed:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                fmt, width, height = image.format, image.width, image.height
                if fmt not in IMAGE_FORMATS:
                    raise _problem(
                        msg("{format} images are not supported.", format=fmt),
                        msg("Send a JPEG or PNG."),
                    )
                image.verify()
            with Image.open(path) as image:
                if fmt == "JPEG":
                    # Decoding at 1/8 scale still reads every byte (so truncation shows)
                    # without holding a full-size bitmap.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()  # verify() misses truncated pixel data; load() does not
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _problem(
            msg("The image has too many pixels to handle safely."),
            msg("Send it at a smaller size."),
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        truncated = "truncated" in str(exc).lower()
        raise _problem(
            msg("The image file is cut off: it ends before its pixels do.")
            if truncated
            else msg("I can't read this file as a photo or a video ({error}).",
                     error=exc.__class__.__name__),
            msg("Send it again.") if truncated else SUPPORTED,
        ) from None
    return Sniffed(IMAGE_FORMATS[fmt], width, height)


def sniff(path: Path) -> Sniffed:
    """Identify a file by content, never by name; raise RequestProblem when unusable."""
    size = path.stat().st_size
    if size == 0:
        raise RequestProblem(
            [msg("The file is empty.")], msg("Attach the photo or video again.")
        )
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[4:8] == b"ftyp":
        return _iso_media(path, head, size)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        try:
            webm.check(path)
        except webm.NotWebM as exc:
            raise _problem(msg("The WebM file is damaged: {why}.", why=str(exc))) from None
        return Sniffed("video/webm", duration=webm.webm_duration(path))
    if head[:6] in (b"GIF87a", b"GIF89a"):
        _gif_structure(path)
    return _image(path)


def _skip_sub_blocks(handle: BinaryIO) -> None:
    while True:
        length = handle.read(1)
        if not length:
            raise _problem(msg("The GIF file is cut off."), msg("Send it again."))
        if length == b"\x00":
            return
        if len(handle.read(length[0])) < length[0]:
            raise _problem(msg("The GIF file is cut off."), msg("Send it again."))


def _gif_structure(path: Path) -> None:
    """Walk a GIF's blocks to its trailer and refuse anything after it: an image header
    followed by HTML must not pass for a picture (GIF89a specification, section 27)."""
    damaged = _problem(msg("The GIF file is damaged: it is not made of GIF blocks."))
    with path.open("rb") as handle:
        screen = handle.read(13)
        if len(screen) < 13:
            raise damaged
        if screen[10] & 0x80:
            handle.read(3 << ((screen[10] & 7) + 1))
        frames = 0
        while (block := handle.read(1)) != b"\x3b":
            if block == b"\x21":
                handle.read(1)  # the extension's label
            elif block == b"\x2c":
                descriptor = handle.read(9)
                if len(descriptor) < 9:
                    raise damaged
                if descriptor[8] & 0x80:
                    handle.read(3 << ((descriptor[8] & 7) + 1))
                handle.read(1)  # LZW minimum code size
                frames += 1
            else:
                raise damaged
            _skip_sub_blocks(handle)
        # Some encoders pad after the trailer; nothing else may follow it.
        if not frames or handle.read(1024).strip(b"\x00\r\n") or handle.read(1):
            raise damaged
