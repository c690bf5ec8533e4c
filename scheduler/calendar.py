"""Calendar use cases: the visible window, thumbnails, attempts, and the iCal feed key."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.logins import calendar_store
from scheduler.occurrences import occurrences
from scheduler.runtime import Runtime
from storage.calendar import AttemptView, CalendarItem, SessionInfo
from storage.views import PostView, WorkspaceView

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
    expand: bool = True,
) -> list[CalendarItem]:
    """Posts of a period with destinations and first media (one query), and every later
    occurrence of a recurring post that falls in it (``virtual``: no row yet)."""
    store = calendar_store(runtime)
    items = await store.window(
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
    if not expand or (statuses and "scheduled" not in statuses):
        return items
    heads = await store.series_heads(workspace_id, end, account_id)
    if limit is not None:
        # A page of the list: the occurrences between its first and last rows (all of the
        # rest of the period on the last page).
        if offset and items:
            start = items[0].scheduled_at
        if len(items) >= limit:
            end = items[-1].scheduled_at
    extra = [v for head in heads for v in virtual_items(head, start, end, tz)]
    return merge(items, extra, per_day) if extra else items


def virtual_items(head: PostView, start: datetime, end: datetime, tz: str) -> list[CalendarItem]:
    """The live row's later occurrences in ``[start, end)`` as calendar items."""
    assert head.recurrence is not None
    zone = ZoneInfo(tz)
    times = occurrences(
        head.recurrence, tz=head.timezone, dtstart=head.scheduled_at, start=start, end=end,
        exdates=head.exdates,
    )  # fmt: skip
    first = head.media[0] if head.media else None
    return [
        CalendarItem(
            id=head.id,
            scheduled_at=at,
            status=head.status if head.status != "publishing" else "scheduled",
            head=head.content[:140],
            day=at.astimezone(zone).date(),
            rank=0,
            day_total=0,
            day_failed=0,
            destinations=tuple(
                sorted((d.platform, d.handle, "pending") for d in head.destinations)
            ),
            thumb_key=first.storage_key if first else None,
            thumb_type=first.content_type if first else None,
            recurring=True,
            virtual=True,
        )
        for at in times
        if at != head.scheduled_at  # the row itself is drawn from the window query
    ]


def merge(
    items: Sequence[CalendarItem], extra: Sequence[CalendarItem], per_day: int | None
) -> list[CalendarItem]:
    """Rows and virtual occurrences in time order; each day's totals count both, and
    ``per_day`` keeps the first N of each day."""
    days: dict[date, list[CalendarItem]] = defaultdict(list)
    totals: dict[date, tuple[int, int]] = {}
    for item in items:
        days[item.day].append(item)
        totals[item.day] = (item.day_total, item.day_failed)
    for item in extra:
        days[item.day].append(item)
    merged: list[CalendarItem] = []
    for day, shown in days.items():
        total, failed = totals.get(day, (0, 0))
        total += sum(1 for i in shown if i.virtual)
        shown.sort(key=lambda i: (i.scheduled_at, str(i.id)))
        cut = shown if per_day is None else shown[:per_day]
        merged += [
            replace(i, rank=n, day_total=total, day_failed=failed) for n, i in enumerate(cut, 1)
        ]
    merged.sort(key=lambda i: (i.scheduled_at, str(i.id)))
    return merged


async def thumbnails(runtime: Runtime, items: Sequence[CalendarItem]) -> dict[uuid.UUID, str]:
    """Signed URLs of each post's first photo, or of its first video's poster frame.

    A video with no poster (none could be decoded) has no entry: the page shows a placeholder.
    """
    videos = [i.thumb_key for i in items if i.thumb_key and _is(i, "video/")]
    posters = await runtime.library.posters(videos) if videos else {}
    urls: dict[uuid.UUID, str] = {}
    for item in items:
        if item.id in urls:  # a recurring post's occurrences share its files
            continue
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


async def feed_items(
    runtime: Runtime, workspace_id: uuid.UUID
) -> tuple[list[CalendarItem], dict[uuid.UUID, PostView]]:
    """What the iCal feed lists: two months back, a year and a bit ahead; and the live rows
    of recurring series by id (each is one event with its rule, not one per occurrence)."""
    now = runtime.clock.now()
    end = now + FEED_FUTURE
    items = await window(
        runtime, workspace_id, now - FEED_PAST, end, "UTC", limit=FEED_LIMIT, expand=False
    )
    heads = await calendar_store(runtime).series_heads(workspace_id, end)
    return items, {h.id: h for h in heads}
