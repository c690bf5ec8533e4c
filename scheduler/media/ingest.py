"""Taking in a file: identify it by content, hash it, measure it, store it once, record it.

Every intake (Slack file, Telegram photo/video/document/album, REST multipart, the calendar's
compose box, ``outpost schedule --media``) ends here, through ``ingest_stream`` (bytes as they
arrive) or ``ingest_path`` (a file already on disk). Nothing is recorded unless the bytes are
safely in the store, so a failed upload leaves no ``media_library`` row behind. The workspace
plan's largest upload is held here too, before anything reaches the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PIL import Image

from core.errors import RequestProblem
from core.i18n import msg
from core.plans import Plan
from scheduler.media.poster import make_poster
from scheduler.media.sniff import EXTENSIONS, Sniffed, sniff
from scheduler.plans import refusal
from scheduler.runtime import Runtime
from storage.views import MediaView

__all__ = [
    "Sniffed",
    "ingest_path",
    "ingest_stream",
    "sha256_file",
    "sniff",
    "thumbnail",
    "upload_limit",
]

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
SPOOL_FLUSH = 1024 * 1024


def upload_limit(rt: Runtime, max_bytes: int | None = None) -> int:
    """The largest file this workspace takes: ``MEDIA_MAX_UPLOAD_MB``, or less if asked."""
    configured = getattr(rt.settings, "media_max_upload_mb", None)
    limit = int(float(configured) * 1024 * 1024) if configured else MAX_UPLOAD_BYTES
    return min(limit, max_bytes) if max_bytes else limit


def _too_big(limit: int, size: int | None = None) -> RequestProblem:
    most = f"{limit / 2**20:.3g}"
    what = (
        msg("The file is {size} MB; this workspace takes files up to {limit} MB.",
            size=f"{size / 2**20:.1f}", limit=most)
        if size
        else msg("The file is too large; this workspace takes files up to {limit} MB.",
                 limit=most)
    )  # fmt: skip
    return RequestProblem(
        [what],
        msg("Send a shorter or more compressed video, or a smaller photo."),
    )


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(SPOOL_FLUSH):
            digest.update(chunk)
    return digest.hexdigest()


def _display_name(filename: str | None, content_type: str) -> str:
    """The sender's name with the extension the content really has (never trusted for type)."""
    base = Path(filename or "media").name or "media"
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    return f"{stem[:240] or 'media'}{EXTENSIONS.get(content_type, '')}"


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
    limit = upload_limit(rt)
    if size > limit:
        raise _too_big(limit, size)
    held = await _plan_limit(rt, workspace_id)
    if held is not None and size > held.bytes:
        raise held.refuse(size)
    digest = await asyncio.to_thread(sha256_file, path)
    return await _ingest(rt, workspace_id, path, digest, size, filename or path.name, user_id)


async def ingest_stream(
    rt: Runtime,
    workspace_id: uuid.UUID,
    chunks: AsyncIterator[bytes],
    *,
    filename: str | None,
    user_id: uuid.UUID | None = None,
    max_bytes: int | None = None,
) -> MediaView:
    """Spool bytes as they arrive (hashing and counting), stop at the limit, then ingest."""
    limit = upload_limit(rt, max_bytes)
    held = await _plan_limit(rt, workspace_id)
    # The smaller limit stops the spool, and its own words say why: the plan names the plan
    # that lifts it, the setting says to send a smaller file.
    too_big: Callable[[], Exception] = partial(_too_big, limit)
    if held is not None and held.bytes < limit:
        limit, too_big = held.bytes, partial(held.refuse, held.bytes + 1)
    spool = rt.settings.data_dir / "tmp"
    await asyncio.to_thread(spool.mkdir, parents=True, exist_ok=True)
    fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=spool, prefix="upload-")
    path = Path(name)
    try:
        digest, size = await _spool(fd, chunks, limit, too_big)
        return await _ingest(rt, workspace_id, path, digest, size, filename, user_id)
    finally:
        await asyncio.to_thread(path.unlink, True)


@dataclass(frozen=True)
class _PlanLimit:
    """The workspace plan's largest upload, when it has one, and its refusal."""

    rt: Runtime
    plan: Plan
    workspace: str

    @property
    def bytes(self) -> int:
        return self.plan.upload_bytes or 0

    def refuse(self, size: int) -> Exception:
        return refusal(self.rt, self.plan, "upload_mb", 0, self.workspace, size / 2**20)


async def _plan_limit(rt: Runtime, workspace_id: uuid.UUID) -> _PlanLimit | None:
    ws = await rt.workspaces.by_id(workspace_id)
    plan = rt.plans.get(ws.plan)
    return None if plan.upload_bytes is None else _PlanLimit(rt, plan, ws.name)


async def _spool(
    fd: int, chunks: AsyncIterator[bytes], limit: int, too_big: Callable[[], Exception]
) -> tuple[str, int]:
    """Write ``chunks`` to ``fd`` in ~1 MiB batches; raise as soon as ``limit`` is passed."""
    digest = hashlib.sha256()
    size = 0
    pending: list[bytes] = []
    buffered = 0
    handle = os.fdopen(fd, "wb")
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_big()
            digest.update(chunk)
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= SPOOL_FLUSH:
                await asyncio.to_thread(handle.writelines, pending)
                pending, buffered = [], 0
        if pending:
            await asyncio.to_thread(handle.writelines, pending)
    finally:
        await asyncio.to_thread(handle.close)
    return digest.hexdigest(), size


async def _ingest(
    rt: Runtime,
    workspace_id: uuid.UUID,
    path: Path,
    digest: str,
    size: int,
    filename: str | None,
    user_id: uuid.UUID | None,
) -> MediaView:
    if size == 0:
        raise RequestProblem([msg("The file is empty.")], msg("Attach the photo or video again."))
    existing = await rt.library.by_hash(workspace_id, digest)
    # A row whose bytes are gone (a cleanup racing, a wiped disk) is healed by storing again.
    if existing is not None and await rt.media.exists(existing.storage_key):
        # A video stored before posters existed, or whose poster could not be stored, gets one.
        if existing.content_type.startswith("video/") and not await rt.library.has_poster_row(
            existing.id
        ):
            await make_poster(rt, existing, path)
        return existing
    sniffed = existing_sniff(existing)
    if sniffed is None:
        sniffed = await asyncio.to_thread(sniff, path)
    key = f"{workspace_id}/{digest}"
    await rt.media.put_file(key, path, sniffed.content_type)
    recorded = await rt.library.record(
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
            filename=_display_name(filename, sniffed.content_type),
        ),
        user_id,
    )
    await make_poster(rt, recorded, path)
    return recorded


def existing_sniff(item: MediaView | None) -> Sniffed | None:
    """What an already recorded file was found to be, so it is not sniffed twice."""
    if item is None:
        return None
    return Sniffed(item.content_type, item.width, item.height, item.duration_seconds)


async def thumbnail(rt: Runtime, item: MediaView, side: int = 160) -> bytes | None:
    """A small JPEG of a photo, or of a video's poster frame; None if a video has none."""
    key: str | None = item.storage_key
    if item.content_type.startswith("video/"):
        key = (await rt.library.posters([item.storage_key])).get(item.storage_key)
    elif not item.content_type.startswith("image/"):
        key = None
    if key is None:
        return None
    data = b"".join([chunk async for chunk in rt.media.open(key)])

    def _shrink() -> bytes:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (side, side))  # JPEGs decode straight at a small scale
            small = image.convert("RGB")
            small.thumbnail((side, side))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80)
            return out.getvalue()

    return await asyncio.to_thread(_shrink)
