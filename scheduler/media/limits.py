"""Per-network media limits beyond count, bytes and type.

``Publisher.validate`` checks how many files, which types and how many bytes. This adds what
a network refuses for a file's shape: pixel size, video length, aspect ratio. A publisher
class may override any figure with a class attribute of the same name.

Photos refused only for their format or byte size may be converted: see ``media_fit``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.i18n import msg
from publishers.base import Media, Problem, Publisher, PublishRequest


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
    if minutes:
        return msg("{minutes} min {seconds} s", minutes=minutes, seconds=rest)
    return msg("{seconds} s", seconds=f"{seconds:g}")


def shape_problems(publisher: Publisher, request: PublishRequest) -> list[Problem]:
    """Pixel, length and aspect problems of ``request``'s media for ``publisher``; pure."""
    name = request.account.handle or publisher.label or publisher.platform
    label = publisher.label or publisher.platform
    lim = limits_for(publisher)
    problems: list[Problem] = []
    for position, item in enumerate(request.media, start=1):
        for why in _item_problems(item, lim, label):
            found = (
                msg("file {n}: {why}", n=position, why=why)
                if len(request.media) > 1
                else msg("the file: {why}", why=why)
            )
            problems.append(Problem(name, found))
    return problems


def _item_problems(item: Media, lim: ShapeLimits, label: str) -> list[str]:
    out: list[str] = []
    video = item.content_type.startswith("video/")
    if item.width and item.height:
        w, h = item.width, item.height
        pixels = w * h
        cap = lim.max_video_pixels if video else lim.max_image_pixels
        if cap and pixels > cap:
            out.append(
                msg(
                    "{w}×{h} is {mp} megapixels; {network} takes {most}",
                    w=w,
                    h=h,
                    mp=f"{pixels / 1e6:.1f}",
                    network=label,
                    most=f"{cap / 1e6:.1f}",
                )
            )
        if not video and lim.max_image_side and max(w, h) > lim.max_image_side:
            out.append(
                msg(
                    "{w}×{h} pixels; {network} takes up to {most} on a side",
                    w=w,
                    h=h,
                    network=label,
                    most=lim.max_image_side,
                )
            )
        if not video and lim.max_image_side_sum and w + h > lim.max_image_side_sum:
            out.append(
                msg(
                    "{w}×{h} pixels; {network} takes width + height up to {most}",
                    w=w,
                    h=h,
                    network=label,
                    most=lim.max_image_side_sum,
                )
            )
        ratio = max(w, h) / min(w, h)
        if lim.max_aspect and ratio > lim.max_aspect:
            out.append(
                msg(
                    "aspect ratio {ratio}:1; {network} takes up to {most}:1",
                    ratio=f"{ratio:.2f}",
                    network=label,
                    most=f"{lim.max_aspect:g}",
                )
            )
    if video and item.duration is not None:
        if lim.max_video_seconds and item.duration > lim.max_video_seconds:
            out.append(
                msg(
                    "the video is {length}; {network} takes up to {most}",
                    length=_clock(item.duration),
                    network=label,
                    most=_clock(lim.max_video_seconds),
                )
            )
        if lim.min_video_seconds and item.duration < lim.min_video_seconds:
            out.append(
                msg(
                    "the video is {length}; {network} needs at least {least}",
                    length=_clock(item.duration),
                    network=label,
                    least=_clock(lim.min_video_seconds),
                )
            )
    return out
