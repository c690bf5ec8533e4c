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
import logging
import tempfile
from pathlib import Path

from scheduler.runtime import Runtime
from storage.media import MediaStoreError
from storage.views import MediaView

log = logging.getLogger(__name__)

SUFFIX = ".poster.jpg"


def poster_key(storage_key: str) -> str:
    """Where a video's poster lives in the store: next to the video, under its hash."""
    return storage_key + SUFFIX


async def make_poster(rt: Runtime, item: MediaView, path: Path) -> None:
    """Store and record the poster of the video ``item`` whose bytes are at ``path``."""
    if not item.content_type.startswith("video/"):
        return
    from scheduler.media.frames import poster_frame  # PyAV and Pillow, on the first video

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
