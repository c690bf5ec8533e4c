"""ORM rows to plain views."""

from __future__ import annotations

from storage.models import MediaItem, PostDestination, ScheduledPost, SocialAccount, Workspace
from storage.views import AccountView, DestinationView, MediaView, PostView, WorkspaceView


def workspace_view(row: Workspace) -> WorkspaceView:
    return WorkspaceView(id=row.id, name=row.name, timezone=row.timezone)


def account_view(row: SocialAccount) -> AccountView:
    return AccountView(
        id=row.id,
        workspace_id=row.workspace_id,
        platform=row.platform,
        handle=row.handle,
        display_name=row.display_name,
        base_url=row.base_url,
        access_token_enc=row.access_token,
        settings=dict(row.settings or {}),
        status=row.status,
        expires_at=row.token_expires_at,
    )


def media_view(row: MediaItem, alt: str = "") -> MediaView:
    return MediaView(
        id=row.id,
        workspace_id=row.workspace_id,
        url=row.url,
        storage_key=row.storage_key,
        content_type=row.content_type,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        duration_seconds=row.duration_seconds,
        filename=row.filename,
        alt=alt,
    )


def destination_view(row: PostDestination, account: SocialAccount) -> DestinationView:
    return DestinationView(
        id=row.id,
        post_id=row.post_id,
        account_id=row.social_account_id,
        platform=account.platform,
        handle=account.handle,
        status=row.status,
        revision=row.revision,
        due_at=row.due_at,
        attempts=row.attempts,
        idempotency_key=row.idempotency_key,
        platform_post_id=row.platform_post_id,
        platform_url=row.platform_url,
        error_code=row.error_code,
        error_message=row.error_message,
        published_at=row.published_at,
    )


def post_view(
    row: ScheduledPost,
    destinations: tuple[DestinationView, ...] = (),
    media: tuple[MediaView, ...] = (),
) -> PostView:
    return PostView(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        content=row.content,
        scheduled_at=row.scheduled_at,
        timezone=row.timezone,
        recurrence=row.recurrence,
        series_id=row.series_id,
        thread=row.thread,
        status=row.status,
        origin=dict(row.origin or {}),
        callback_url=row.callback_url,
        revision=row.revision,
        notified_revision=row.notified_revision,
        created_at=row.created_at,
        destinations=destinations,
        media=media,
    )
