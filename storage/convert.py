"""ORM rows to plain views, through the same mappers as plain SQL rows (``storage.records``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from storage.models import Base, MediaItem, ScheduledPost, SocialAccount, Workspace
from storage.records import account_from, media_from, post_from, workspace_from
from storage.views import AccountView, DestinationView, MediaView, PostView, WorkspaceView


def columns(row: Base) -> dict[str, Any]:
    """An ORM instance's column values by column name: a record for ``storage.records``."""
    mapper = inspect(row).mapper
    return {attr.columns[0].name: getattr(row, attr.key) for attr in mapper.column_attrs}


def workspace_view(row: Workspace) -> WorkspaceView:
    return workspace_from(columns(row))


def account_view(row: SocialAccount) -> AccountView:
    return account_from(columns(row))


def media_view(row: MediaItem, alt: str = "") -> MediaView:
    return media_from(columns(row), alt)


def post_view(
    row: ScheduledPost,
    destinations: tuple[DestinationView, ...] = (),
    media: tuple[MediaView, ...] = (),
) -> PostView:
    return post_from(columns(row), destinations, media)
