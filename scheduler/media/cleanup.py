"""Removing media no post uses, once a grace period has passed.

A file is uploaded before the post that carries it is written (a chat photo is stored, then
the caption is parsed), so fresh files without posts are normal: only those older than
``MEDIA_GRACE_HOURS`` (default 24) are removed. A file another post still carries is never
removed, whatever happened to the post it came with.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from arq.cron import CronJob, cron

from scheduler.media.poster import poster_key
from scheduler.runtime import Runtime
from storage.media import MediaStoreError
from storage.views import MediaView

log = logging.getLogger(__name__)

GRACE_HOURS = 24.0
BATCH = 100


def grace(rt: Runtime) -> timedelta:
    """How long an unused file is kept (``MEDIA_GRACE_HOURS``)."""
    return timedelta(hours=float(getattr(rt.settings, "media_grace_hours", GRACE_HOURS)))


async def remove_orphans(rt: Runtime, batch: int = BATCH) -> list[MediaView]:
    """Delete the bytes, then the row, of each orphan past the grace period."""
    cutoff = rt.clock.now() - grace(rt)
    removed: list[MediaView] = []

    async def delete_bytes(item: MediaView) -> None:
        if item.content_type.startswith("video/"):
            # The poster first: if the video's delete fails, the row stays and both go later.
            await rt.media.delete(poster_key(item.storage_key))
        await rt.media.delete(item.storage_key)

    for item in await rt.library.orphans(cutoff, batch):
        try:
            done = await rt.library.remove_orphan(item.id, cutoff, delete_bytes)
        except MediaStoreError as exc:
            # The row stays, so the next run tries again; other files still go.
            log.warning("media cleanup: %s kept: %s", item.id, exc.message)
            continue
        if done is not None:
            removed.append(done)
    if removed:
        log.info("media cleanup: removed %d unused files", len(removed))
    return removed


async def media_cleanup(ctx: dict[str, Any]) -> int:
    """arq cron task: remove orphaned media; returns how many files went."""
    rt: Runtime = ctx["runtime"]
    return len(await remove_orphans(rt))


# Hourly at minute 17, away from the top of the hour when scheduled posts cluster. No
# timeout of its own: arq sizes in-progress keys by the longest one, so it takes the worker's.
MEDIA_CRON: tuple[CronJob, ...] = (cron(media_cleanup, minute=17, run_at_startup=False),)
