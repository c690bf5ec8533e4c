"""Per-network media limits beyond count, bytes and type, and converting photos to fit.

``Publisher.validate`` checks how many files, which types and how many bytes. This adds what
a network refuses for a file's shape: pixel size, video length, aspect ratio. A publisher
class may override any figure with a class attribute of the same name.

``fit_media`` converts photos (Pillow) that a destination refuses only for their format or
byte size: automatically when nothing a viewer would notice changes (WebP or an opaque PNG
to JPEG at high quality, any still image to PNG), and with recompression or downscaling only
when the person asked for it (``allow_lossy``). Animations and transparency are never
flattened without being asked.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from publishers.base import Media, Problem, Publisher, PublishRequest
from scheduler.media import ingest_path
from scheduler.runtime import Runtime
from storage.views import MediaView


@dataclass(frozen=True)
class ShapeLimits:
    """What a network takes in pixels and seconds; None is no limit."""

    max_image_pixels: int | None = None
    max_image_side: int | None = None
    max_image_side_sum: int | None = None
    max_aspect: float | None = None  # long side / short side
    max_video_seconds: float | None = None
    min_video_seconds: float | None = None
    max_video_pixels: int | None = None


# Figures from each network's media documentation, as of 2025.
LIMITS: dict[str, ShapeLimits] = {
    "x": ShapeLimits(
        max_image_side=8192,
        max_video_seconds=140,
        min_video_seconds=0.5,
        max_aspect=3.0,
        max_video_pixels=1920 * 1200,
    ),
    "mastodon": ShapeLimits(max_image_pixels=33_177_600, max_video_pixels=8_294_400),
    "bluesky": ShapeLimits(max_video_seconds=180),
    "linkedin": ShapeLimits(
        max_image_pixels=36_152_320, max_video_seconds=1800, min_video_seconds=3
    ),
    # Page videos go by file_url, Graph's non-resumable upload: 20 minutes (4 h needs resumable).
    "facebook": ShapeLimits(max_video_seconds=1200, min_video_seconds=1),
    "instagram": ShapeLimits(max_aspect=1.91, max_video_seconds=900, min_video_seconds=3),
    "telegram": ShapeLimits(max_image_side_sum=10_000, max_aspect=20.0),
}


def limits_for(publisher: Publisher) -> ShapeLimits:
    """The table's figures for this network, overridden by the publisher's class attributes."""
    base = LIMITS.get(publisher.platform, ShapeLimits())
    overrides = {
        name: getattr(publisher, name)
        for name in ShapeLimits.__dataclass_fields__
        if hasattr(publisher, name)
    }
    return replace(base, **overrides)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:g} s"


def shape_problems(publisher: Publisher, request: PublishRequest) -> list[Problem]:
    """Pixel, length and aspect problems of ``request``'s media for ``publisher``; pure."""
    name = request.account.handle or publisher.label or publisher.platform
    label = publisher.label or publisher.platform
    lim = limits_for(publisher)
    problems: list[Problem] = []
    for position, item in enumerate(request.media, start=1):
        which = f"file {position}" if len(request.media) > 1 else "the file"
        problems.extend(Problem(name, f"{which}: {m}") for m in _item_problems(item, lim, label))
    return problems


def _item_problems(item: Media, lim: ShapeLimits, label: str) -> list[str]:
    out: list[str] = []
    video = item.content_type.startswith("video/")
    if item.width and item.height:
        w, h = item.width, item.height
        pixels = w * h
        cap = lim.max_video_pixels if video else lim.max_image_pixels
        if cap and pixels > cap:
            out.append(f"{w}×{h} is {pixels / 1e6:.1f} megapixels; {label} takes {cap / 1e6:.1f}")
        if not video and lim.max_image_side and max(w, h) > lim.max_image_side:
            out.append(f"{w}×{h} pixels; {label} takes up to {lim.max_image_side} on a side")
        if not video and lim.max_image_side_sum and w + h > lim.max_image_side_sum:
            out.append(
                f"{w}×{h} pixels; {label} takes width + height up to {lim.max_image_side_sum}"
            )
        ratio = max(w, h) / min(w, h)
        if lim.max_aspect and ratio > lim.max_aspect:
            out.append(f"aspect ratio {ratio:.2f}:1; {label} takes up to {lim.max_aspect:g}:1")
    if video and item.duration is not None:
        if lim.max_video_seconds and item.duration > lim.max_video_seconds:
            out.append(
                f"the video is {_clock(item.duration)}; {label} takes up to "
                f"{_clock(lim.max_video_seconds)}"
            )
        if lim.min_video_seconds and item.duration < lim.min_video_seconds:
            out.append(
                f"the video is {_clock(item.duration)}; {label} needs at least "
                f"{_clock(lim.min_video_seconds)}"
            )
    return out


def _refused_only_for_format_or_size(publisher: Publisher, item: Media) -> bool:
    if not item.content_type.startswith("image/"):
        return False
    wrong_type = item.content_type not in publisher.media_types
    too_big = item.size > publisher.max_image_bytes
    return wrong_type or too_big


def _convert(source: bytes, target: str, max_bytes: int, lossy: bool) -> bytes | None:
    """Re-encode ``source`` as ``target`` within ``max_bytes``, or None if that would change it."""
    with Image.open(io.BytesIO(source)) as image:
        if getattr(image, "n_frames", 1) > 1:
            return None  # an animation would become a still
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if target == "image/jpeg" and transparent and not lossy:
            return None
        picture = image.convert("RGB" if target == "image/jpeg" else "RGBA")
    fmt = "JPEG" if target == "image/jpeg" else "PNG"
    steps = [(95, 1.0)] if not lossy else [(95, 1.0), (85, 1.0), (85, 0.75), (80, 0.5), (75, 0.35)]
    for quality, scale in steps:
        frame = picture
        if scale < 1.0:
            size = (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
            frame = picture.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        frame.save(buffer, fmt, quality=quality, optimize=True)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    return None


def _targets(publishers: Sequence[Publisher]) -> list[str]:
    common = set.intersection(*(set(p.media_types) for p in publishers))
    return [t for t in ("image/jpeg", "image/png") if t in common]


async def fit_media(
    rt: Runtime,
    workspace_id: uuid.UUID,
    media: Sequence[MediaView],
    publishers: Sequence[Publisher],
    *,
    allow_lossy: bool = False,
) -> tuple[MediaView, ...]:
    """``media`` with photos converted where every destination then takes them."""
    fitted: list[MediaView] = []
    for item in media:
        view = Media(str(item.id), item.content_type, item.size_bytes, item.sha256)
        if not publishers or not any(_refused_only_for_format_or_size(p, view) for p in publishers):
            fitted.append(item)
            continue
        replacement = await _converted(rt, workspace_id, item, publishers, allow_lossy)
        fitted.append(replacement or item)
    return tuple(fitted)


async def _converted(
    rt: Runtime,
    workspace_id: uuid.UUID,
    item: MediaView,
    publishers: Sequence[Publisher],
    lossy: bool,
) -> MediaView | None:
    source = b"".join([chunk async for chunk in rt.media.open(item.storage_key)])
    budget = min(p.max_image_bytes for p in publishers)
    for target in _targets(publishers):
        data = await asyncio.to_thread(_convert, source, target, budget, lossy)
        if data is None:
            continue
        spool = rt.settings.data_dir / "tmp"
        await asyncio.to_thread(spool.mkdir, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=spool) as tmp:
            path = Path(tmp) / "converted"
            await asyncio.to_thread(path.write_bytes, data)
            return await ingest_path(rt, workspace_id, path, filename=item.filename)
    return None
