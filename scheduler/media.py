"""Taking in a file: identify it by content, hash it, measure it, store it once, record it."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import RequestProblem
from scheduler.runtime import Runtime
from storage.views import MediaView

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Sniffed:
    """What a file is, from its bytes."""

    content_type: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None


def _mp4_duration(path: Path) -> float | None:
    """Read ``mvhd`` from an MP4/MOV's ``moov`` box without loading the file."""
    with path.open("rb") as handle:
        end = path.stat().st_size
        pos = 0
        while pos + 8 <= end:
            handle.seek(pos)
            size, kind = struct.unpack(">I4s", handle.read(8))
            header = 8
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0]
                header = 16
            elif size == 0:
                size = end - pos
            if size < header:
                return None
            if kind == b"moov":
                pos, end = pos + header, pos + size
                continue
            if kind == b"mvhd":
                version = handle.read(1)[0]
                handle.read(3)
                if version == 1:
                    handle.read(16)
                    scale, length = struct.unpack(">IQ", handle.read(12))
                else:
                    handle.read(8)
                    scale, length = struct.unpack(">II", handle.read(8))
                return length / scale if scale else None
            pos += size
    return None


def sniff(path: Path) -> Sniffed:
    """Identify a file by content, never by name; raise RequestProblem when unusable."""
    size = path.stat().st_size
    if size == 0:
        raise RequestProblem(["The file is empty."], "Attach the photo or video again.")
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        kind = "video/quicktime" if brand == b"qt  " else "video/mp4"
        return Sniffed(kind, duration=_mp4_duration(path))
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Sniffed("video/webm")
    try:
        with Image.open(path) as image:
            fmt, width, height = image.format, image.width, image.height
            image.verify()
        with Image.open(path) as image:
            image.load()  # verify() misses truncated pixel data; load() does not
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise RequestProblem(
            [f"I can't read this file as a photo or a video ({exc.__class__.__name__})."],
            "Send a JPEG, PNG, GIF, WebP, MP4 or WebM file.",
        ) from None
    if fmt not in IMAGE_FORMATS:
        raise RequestProblem([f"{fmt} images are not supported."], "Send a JPEG or PNG.")
    return Sniffed(IMAGE_FORMATS[fmt], width, height)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def ingest_path(
    rt: Runtime,
    workspace_id: uuid.UUID,
    path: Path,
    user_id: uuid.UUID | None = None,
    filename: str | None = None,
) -> MediaView:
    """Store a file that is already on local disk, once per workspace, and record it."""
    if not await asyncio.to_thread(path.is_file):
        raise RequestProblem([f"No file at {path}."])
    size = (await asyncio.to_thread(path.stat)).st_size
    if size > MAX_UPLOAD_BYTES:
        raise RequestProblem(
            [f"The file is {size // (1024 * 1024)} MB; the limit is {MAX_UPLOAD_BYTES >> 20} MB."]
        )
    sniffed = await asyncio.to_thread(sniff, path)
    digest = await asyncio.to_thread(sha256_file, path)
    library = rt.library
    existing = await library.by_hash(workspace_id, digest)
    if existing is not None and await rt.media.exists(existing.storage_key):
        return existing
    key = f"{workspace_id}/{digest}"
    await rt.media.put_file(key, path, sniffed.content_type)
    return await library.record(
        MediaView(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            url=f"media:{key}",
            storage_key=key,
            content_type=sniffed.content_type,
            sha256=digest,
            size_bytes=size,
            width=sniffed.width,
            height=sniffed.height,
            duration_seconds=sniffed.duration,
            filename=(filename or path.name)[:255],
        ),
        user_id,
    )
