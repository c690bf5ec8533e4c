"""The frozen views, statuses and errors adapters render, re-exported so that ``bot``, ``web``
and ``webhooks`` depend on ``scheduler`` alone (checked by import-linter)."""

from __future__ import annotations

from storage.api import CallbackView, HookView, TokenView
from storage.api_callbacks import EndpointView
from storage.calendar import CalendarItem, SessionInfo
from storage.media import MediaStoreError
from storage.models import POST_STATUSES
from storage.telegram import Album
from storage.views import (
    AccountView,
    ApprovalView,
    MediaView,
    MemberView,
    PostView,
    WorkspaceView,
)

__all__ = [
    "POST_STATUSES",
    "AccountView",
    "Album",
    "ApprovalView",
    "CalendarItem",
    "CallbackView",
    "EndpointView",
    "HookView",
    "MediaStoreError",
    "MediaView",
    "MemberView",
    "PostView",
    "SessionInfo",
    "TokenView",
    "WorkspaceView",
]
