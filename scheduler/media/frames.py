"""Decoding one early frame of a video into a JPEG poster, with PyAV and Pillow.

Kept apart from ``scheduler.media.poster`` so that PyAV (FFmpeg's libraries) and Pillow are
loaded by the first video that needs a poster, not by every process that can store media.
See ``poster`` for the bounds on the work per video.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import av
from PIL import Image

log = logging.getLogger("scheduler.media.poster")

POSTER_SIDE = 480
MAX_PACKETS = 600
MAX_PIXELS = 40_000_000  # above 8K UHD (33 Mpx)
AIM_SECONDS = 1.0


def _upright(frame: av.VideoFrame) -> Image.Image:
    # Phones store portrait video sideways with a display matrix; show it as played.
    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]  # PyAV's stub lacks it
    return image.rotate(frame.rotation, expand=True) if frame.rotation else image


def _frame(path: Path) -> Image.Image | None:
    with av.open(str(path), mode="r") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        context = stream.codec_context
        if context.width * context.height > MAX_PIXELS:
            return None  # decoding one such frame would take more memory than a poster is worth
        context.skip_frame = "NONKEY"
        base, ticks = stream.time_base, stream.duration
        length = float(ticks * base) if ticks and base else 0.0
        aim = min(AIM_SECONDS, length / 4) if length > 0 else AIM_SECONDS
        chosen = None
        # The last packet demux yields is empty and flushes frames the decoder still holds.
        for count, packet in enumerate(container.demux(stream)):
            if count >= MAX_PACKETS:
                break
            for frame in packet.decode():
                chosen = frame
                if frame.time is None or frame.time >= aim:
                    return _upright(frame)
        return None if chosen is None else _upright(chosen)


def poster_frame(path: Path, side: int = POSTER_SIDE) -> bytes | None:
    """A JPEG of one early frame of the video at ``path``, or None if none can be decoded."""
    try:
        image = _frame(path)
    except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        log.info("no poster frame: %s", type(exc).__name__)
        return None
    if image is None:
        return None
    image = image.convert("RGB")
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
