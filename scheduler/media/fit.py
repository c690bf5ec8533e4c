"""Converting photos a destination refuses only for their format or byte size (Pillow).

Without being asked, only what no viewer would notice: WebP or an opaque PNG to JPEG at high
quality, any still image to PNG. When the person asks (the request word ``fit``, the API's
``"fit_media": true``, the compose box's checkbox), photos may also be recompressed, scaled
down, or flattened onto white. Animations never become stills.

A converted file is ingested like an upload (stored once by hash, recorded with its size);
the original stays in the library with no post and goes with the orphan cleanup.

``checked`` tells the scheduler which problems converting would fix: it validates the request
again with each convertible photo replaced by a stand-in that fits, and the difference is what
the conversion would remove. So the answer follows each publisher's own ``validate``.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from core.errors import RequestProblem
from core.i18n import msg
from publishers.base import Media, Problem, Publisher, PublishRequest
from scheduler.media.ingest import ingest_path
from scheduler.media.limits import shape_problems
from scheduler.runtime import Runtime
from storage.views import MediaView

FIT_WORD = "fit"
TARGETS = ("image/jpeg", "image/png")
LOSSLESS = ((95, 1.0),)
LOSSY = ((95, 1.0), (85, 1.0), (85, 0.75), (80, 0.5), (75, 0.35))


class NeedsConversion(RequestProblem):
    """Refused for photos that converting them (when asked) would make fit."""


def request_hint(request: str) -> str:
    """How to ask for conversion in the request grammar (chats, shell, API ``request``)."""
    shown = request.strip()
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return msg(
        "To let me convert the photo to fit (as JPEG, recompressed or scaled down), send it "
        'again with "{fit}" in front of the request: "{fit} {request}"',
        fit=FIT_WORD,
        request=shown,
    )


FIELDS_HINT = msg(
    "To let Outpost convert the photo to fit (as JPEG, recompressed or scaled down), send the "
    'post again with "fit_media": true.'
)


@dataclass(frozen=True)
class Fitted:
    """Media after conversion, and what asking (or having asked) would change."""

    media: tuple[MediaView, ...]
    # Photos a recompression or downscale may still fix (only when it was not asked for).
    lossy_ok: frozenset[str] = frozenset()
    # Why photos could not be converted although it was asked for.
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checked:
    """What to report for one destination, and which of it converting would fix."""

    problems: list[Problem]
    fixable: list[Problem] = field(default_factory=list)


def _refused_for_format_or_size(publisher: Publisher, item: Media) -> bool:
    if not item.content_type.startswith("image/"):
        return False
    return item.content_type not in publisher.media_types or item.size > publisher.max_image_bytes


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent pixels onto white: ``convert("RGB")`` would show whatever colour they hide."""
    rgba = image.convert("RGBA")
    ground = Image.new("RGB", rgba.size, "white")
    ground.paste(rgba, mask=rgba.getchannel("A"))
    return ground


def _convert(source: bytes, targets: Sequence[str], max_bytes: int, lossy: bool) -> bytes | str:
    """``source`` re-encoded within ``max_bytes`` as the first target that fits, or why not."""
    with Image.open(io.BytesIO(source)) as image:
        if getattr(image, "n_frames", 1) > 1:
            return msg("it is an animation, and converting it would leave a still image")
        image.load()
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        # Transparency survives as PNG, so try that before flattening to JPEG.
        order = sorted(targets, key=lambda t: t != "image/png") if transparent else targets
        for target in order:
            if target == "image/jpeg" and transparent and not lossy:
                continue
            picture = (
                (_flatten(image) if transparent else image.convert("RGB"))
                if target == "image/jpeg"
                else image.convert("RGBA" if transparent else "RGB")
            )
            fmt = "JPEG" if target == "image/jpeg" else "PNG"
            for quality, scale in LOSSY if lossy else LOSSLESS:
                frame = picture
                if scale < 1.0:
                    size = (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
                    frame = picture.resize(size, Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                frame.save(buffer, fmt, quality=quality, optimize=True)
                if buffer.tell() <= max_bytes:
                    return buffer.getvalue()
    return msg("even scaled down it stays over {limit} KB", limit=max_bytes // 1024)


def _targets(publishers: Sequence[Publisher]) -> list[str]:
    common = set.intersection(*(set(p.media_types) for p in publishers))
    return [t for t in TARGETS if t in common]


def _view(item: MediaView) -> Media:
    return Media(str(item.id), item.content_type, item.size_bytes, item.sha256)


async def fit(
    rt: Runtime,
    workspace_id: uuid.UUID,
    media: Sequence[MediaView],
    publishers: Sequence[Publisher],
    *,
    allow_lossy: bool = False,
    user_id: uuid.UUID | None = None,
) -> Fitted:
    """``media`` with stored photos converted where every destination then takes them."""
    fitted: list[MediaView] = []
    lossy_ok: set[str] = set()
    failed: list[str] = []
    for item in media:
        refused = any(_refused_for_format_or_size(p, _view(item)) for p in publishers)
        # A file not stored yet (Telegram's description before download) is judged later.
        targets = _targets(publishers) if refused and item.storage_key else []
        if not targets:
            fitted.append(item)
            continue
        source = b"".join([chunk async for chunk in rt.media.open(item.storage_key)])
        budget = min(p.max_image_bytes for p in publishers)
        done = await asyncio.to_thread(_convert, source, targets, budget, allow_lossy)
        if isinstance(done, bytes):
            converted = await _store(rt, workspace_id, item, done, user_id)
            fitted.append(replace(converted, alt=item.alt))
            continue
        fitted.append(item)
        if allow_lossy:
            failed.append(
                msg("{name} could not be converted to fit: {why}.", name=item.filename, why=done)
            )
        elif not await asyncio.to_thread(_animated, source):
            lossy_ok.add(str(item.id))
    return Fitted(tuple(fitted), frozenset(lossy_ok), tuple(failed))


def _animated(source: bytes) -> bool:
    with Image.open(io.BytesIO(source)) as image:
        return bool(getattr(image, "is_animated", False))


async def fit_media(
    rt: Runtime,
    workspace_id: uuid.UUID,
    media: Sequence[MediaView],
    publishers: Sequence[Publisher],
    *,
    allow_lossy: bool = False,
) -> tuple[MediaView, ...]:
    """Only the converted media of ``fit``."""
    return (await fit(rt, workspace_id, media, publishers, allow_lossy=allow_lossy)).media


async def _store(
    rt: Runtime, workspace_id: uuid.UUID, item: MediaView, data: bytes, user_id: uuid.UUID | None
) -> MediaView:
    spool = rt.settings.data_dir / "tmp"
    await asyncio.to_thread(spool.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool) as tmp:
        path = Path(tmp) / "converted"
        await asyncio.to_thread(path.write_bytes, data)
        return await ingest_path(rt, workspace_id, path, user_id, item.filename)


def _stand_in(publisher: Publisher, item: Media) -> Media:
    """A file like ``item`` that ``publisher`` takes for format and size."""
    kind = next((t for t in TARGETS if t in publisher.media_types), item.content_type)
    return replace(item, content_type=kind, size=min(item.size, publisher.max_image_bytes))


def _without(publisher: Publisher, request: PublishRequest, ids: set[str]) -> PublishRequest:
    media = tuple(
        _stand_in(publisher, m)
        if m.media_id in ids and _refused_for_format_or_size(publisher, m)
        else m
        for m in request.media
    )
    return replace(request, media=media)


def _found(publisher: Publisher, request: PublishRequest) -> list[Problem]:
    return publisher.validate(request) + shape_problems(publisher, request)


def checked(
    publisher: Publisher, request: PublishRequest, unstored: set[str], lossy_ok: set[str]
) -> Checked:
    """``publisher``'s problems with ``request``, minus those of files judged after download;
    ``fixable`` is what converting the ``lossy_ok`` photos would remove."""
    problems = _found(publisher, _without(publisher, request, unstored))
    if not lossy_ok:
        return Checked(problems)
    after = set(_found(publisher, _without(publisher, request, unstored | lossy_ok)))
    return Checked(problems, [p for p in problems if p not in after])
