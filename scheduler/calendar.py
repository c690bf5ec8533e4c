"""Calendar use cases: the visible window, thumbnails, attempts, and the iCal feed key."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from scheduler.logins import calendar_store
from scheduler.runtime import Runtime
from storage.calendar import AttemptView, CalendarItem, SessionInfo
from storage.views import WorkspaceView

FEED_PAST = timedelta(days=60)
FEED_FUTURE = timedelta(days=400)
FEED_LIMIT = 5000


def viewer_zone(session: SessionInfo, workspace: WorkspaceView) -> str:
    """The person's own time zone when they set one, else the workspace's."""
    return session.user_timezone or workspace.timezone or "UTC"


async def window(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    start: datetime,
    end: datetime,
    tz: str,
    *,
    per_day: int | None = None,
    statuses: Sequence[str] = (),
    account_id: uuid.UUID | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[CalendarItem]:
    """Posts of a period with destinations and first media (one query)."""
    return await calendar_store(runtime).window(
        workspace_id,
        start,
        end,
        tz,
        per_day=per_day,
        statuses=statuses,
        account_id=account_id,
        limit=limit,
        offset=offset,
    )


async def thumbnails(runtime: Runtime, items: Sequence[CalendarItem]) -> dict[uuid.UUID, str]:
    """Signed URLs of each post's first photo, or of its first video's poster frame.

    A video with no poster (none could be decoded) has no entry: the page shows a placeholder.
    """
    videos = [i.thumb_key for i in items if i.thumb_key and _is(i, "video/")]
    posters = await runtime.library.posters(videos) if videos else {}
    urls: dict[uuid.UUID, str] = {}
    for item in items:
        key = item.thumb_key if _is(item, "image/") else posters.get(item.thumb_key or "")
        if key:
            urls[item.id] = await runtime.media.signed_url(key, 3600)
    return urls


def _is(item: CalendarItem, kind: str) -> bool:
    return (item.thumb_type or "").startswith(kind)


async def attempts(runtime: Runtime, post_id: uuid.UUID) -> list[AttemptView]:
    return await calendar_store(runtime).attempts(post_id)


def _feed_mac(runtime: Runtime, workspace_id: uuid.UUID, generation: int) -> str:
    secret = runtime.settings.secret_key.get_secret_value().encode()
    message = f"ics:{workspace_id}:{generation}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


async def feed_key(runtime: Runtime, workspace_id: uuid.UUID) -> str:
    """The workspace's current feed key (derived, so it can be shown again)."""
    generation = await calendar_store(runtime).feed_generation(workspace_id)
    return f"{workspace_id.hex}.{generation}.{_feed_mac(runtime, workspace_id, generation)}"


async def rotate_feed_key(runtime: Runtime, workspace_id: uuid.UUID) -> str:
    """Revoke every earlier feed URL of the workspace and return the new key."""
    generation = await calendar_store(runtime).rotate_feed(workspace_id)
    return f"{workspace_id.hex}.{generation}.{_feed_mac(runtime, workspace_id, generation)}"


async def feed_workspace(runtime: Runtime, key: str) -> uuid.UUID | None:
    """The workspace a current feed key opens, or None for a forged or revoked key."""
    parts = key.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    try:
        workspace_id = uuid.UUID(hex=parts[0])
    except ValueError:
        return None
    generation = int(parts[1])
    if not hmac.compare_digest(_feed_mac(runtime, workspace_id, generation), parts[2]):
        return None
    current = await calendar_store(runtime).feed_generation(workspace_id)
    return workspace_id if current > 0 and current == generation else None


async def feed_items(runtime: Runtime, workspace_id: uuid.UUID) -> list[CalendarItem]:
    """What the iCal feed lists: two months back, a year and a bit ahead."""
    now = runtime.clock.now()
    return await window(
        runtime, workspace_id, now - FEED_PAST, now + FEED_FUTURE, "UTC", limit=FEED_LIMIT
    )
