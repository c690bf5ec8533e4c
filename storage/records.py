"""Result rows read by column name, mapped straight to the frozen views of ``storage.views``.

The one way storage turns a row into a view: an asyncpg ``Record`` on the hot path, a
SQLAlchemy ``RowMapping`` in a session, or an ORM instance's columns (``storage.convert``)
all read the same way, by column name, through the mappers below.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from core.states import DestinationStatus, PostStatus, StepKind, StepStatus
from storage.views import (
    AccountView,
    DestinationView,
    MediaView,
    PostView,
    StepView,
    WorkspaceView,
)


class Record(Protocol):
    """A row read by column name (asyncpg ``Record``, SQLAlchemy ``RowMapping``, a dict)."""

    def __getitem__(self, key: str, /) -> Any: ...


class Connection(Protocol):
    """The part of an asyncpg connection storage uses (asyncpg ships no type hints)."""

    async def fetch(self, query: str, *args: Any) -> list[Record]: ...

    async def fetchrow(self, query: str, *args: Any) -> Record | None: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...

    async def execute(self, query: str, *args: Any) -> str: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    def is_closed(self) -> bool: ...

    def is_in_transaction(self) -> bool: ...


class Prefixed:
    """The columns of ``row`` named ``prefix`` + name, read by name: one statement can then
    return two tables' rows side by side (a post beside each of its destinations)."""

    def __init__(self, row: Record, prefix: str) -> None:
        self.row = row
        self.prefix = prefix

    def __getitem__(self, key: str, /) -> Any:
        return self.row[self.prefix + key]


def workspace_from(r: Record) -> WorkspaceView:
    """A ``workspaces`` row."""
    return WorkspaceView(id=r["id"], name=r["name"], timezone=r["timezone"], plan=r["plan"])


def account_from(r: Record) -> AccountView:
    """A ``social_accounts`` row."""
    return AccountView(
        id=r["id"],
        workspace_id=r["workspace_id"],
        platform=r["platform"],
        handle=r["handle"],
        display_name=r["display_name"],
        base_url=r["base_url"],
        access_token_enc=r["access_token"],
        settings=dict(r["settings"] or {}),
        status=r["status"],
        expires_at=r["token_expires_at"],
    )


def media_from(r: Record, alt: str = "") -> MediaView:
    """A ``media_library`` row; ``alt`` is the description its post gave it."""
    return MediaView(
        id=r["id"],
        workspace_id=r["workspace_id"],
        url=r["url"],
        storage_key=r["storage_key"],
        content_type=r["content_type"],
        sha256=r["sha256"],
        size_bytes=r["size_bytes"],
        width=r["width"],
        height=r["height"],
        duration_seconds=r["duration_seconds"],
        filename=r["filename"],
        alt=alt,
    )


def destination_from(r: Record) -> DestinationView:
    """A ``post_destinations`` row joined with its account's ``platform`` and ``handle``."""
    return DestinationView(
        id=r["id"],
        post_id=r["post_id"],
        account_id=r["social_account_id"],
        platform=r["platform"],
        handle=r["handle"],
        status=DestinationStatus(r["status"]),
        revision=r["revision"],
        due_at=r["due_at"],
        attempts=r["attempts"],
        idempotency_key=r["idempotency_key"],
        platform_post_id=r["platform_post_id"],
        platform_url=r["platform_url"],
        error_code=r["error_code"],
        error_message=r["error_message"],
        published_at=r["published_at"],
    )


def step_from(r: Record) -> StepView:
    """A ``destination_steps`` row."""
    extra = r["extra"]
    return StepView(
        seq=r["seq"],
        kind=StepKind(r["kind"]),
        status=StepStatus(r["status"]),
        key=r["key"],
        remote_id=r["remote_id"],
        url=r["url"],
        extra=json.loads(extra) if isinstance(extra, str) else dict(extra or {}),
        error=r["error"],
    )


def post_from(
    r: Record,
    destinations: tuple[DestinationView, ...] = (),
    media: tuple[MediaView, ...] = (),
) -> PostView:
    """A ``scheduled_posts`` row with its destinations and media."""
    return PostView(
        id=r["id"],
        workspace_id=r["workspace_id"],
        user_id=r["user_id"],
        content=r["content"],
        scheduled_at=r["scheduled_at"],
        timezone=r["timezone"],
        recurrence=r["recurrence"],
        series_id=r["series_id"],
        thread=r["thread"],
        status=PostStatus(r["status"]),
        origin=dict(r["origin"] or {}),
        callback_url=r["callback_url"],
        revision=r["revision"],
        notified_revision=r["notified_revision"],
        created_at=r["created_at"],
        untimed=bool(r["untimed"]),
        destinations=destinations,
        media=media,
        variants=dict(r["variants"] or {}),
        first_comment=r["first_comment"],
        parts=tuple(r["parts"] or ()),
        exdates=tuple(r["exdates"] or ()),
        evergreen_days=r["evergreen_days"],
        queued=bool(r["queued"]),
    )
