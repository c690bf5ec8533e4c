"""A poster frame for each video, made once at upload with PyAV (FFmpeg's own libraries).

The calendar shows it like a photo's thumbnail, with a play marker. A video no frame can be
decoded from (a codec FFmpeg lacks, a damaged file) gets a row with no key, and the calendar
shows a neutral placeholder: a poster is never a reason to refuse an upload.

The work per video is bounded: only keyframes are decoded (``skip_frame``), the first one at
or after about a second in (fade-ins make frame 0 black), looking no further than
``MAX_PACKETS`` packets, and frames over ``MAX_PIXELS`` are not decoded at all.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from pathlib import Path

import av
from PIL import Image

from scheduler.runtime import Runtime
from storage.media import MediaStoreError
from storage.views import MediaView

log = logging.getLogger(__name__)

POSTER_SIDE = 480
MAX_PACKETS = 600
MAX_PIXELS = 40_000_000  # above 8K UHD (33 Mpx)
AIM_SECONDS = 1.0
SUFFIX = ".poster.jpg"


def poster_key(storage_key: str) -> str:
    """Where a video's poster lives in the store: next to the video, under its hash."""
    return storage_key + SUFFIX


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


async def make_poster(rt: Runtime, item: MediaView, path: Path) -> None:
    """Store and record the poster of the video ``item`` whose bytes are at ``path``."""
    if not item.content_type.startswith("video/"):
        return
    data = await asyncio.to_thread(poster_frame, path)
    key = None
    if data is not None:
        key = poster_key(item.storage_key)
        spool = rt.settings.data_dir / "tmp"
        await asyncio.to_thread(spool.mkdir, parents=True, exist_ok=True)
        try:
            with tempfile.TemporaryDirectory(dir=spool) as tmp:
                file = Path(tmp) / "poster.jpg"
                await asyncio.to_thread(file.write_bytes, data)
                await rt.media.put_file(key, file, "image/jpeg")
        except MediaStoreError as exc:
            # Left without a row, so the next upload of the same video tries again.
            log.warning("poster of %s not stored: %s", item.id, exc.message)
            return
    await rt.library.record_poster(item.id, key)
