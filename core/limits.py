"""Bounds that every entry point shares, so the API, hooks, chats and calendar agree."""

from __future__ import annotations

from datetime import datetime, timedelta

# The furthest ahead anything may be scheduled or shown, wherever the time comes from.
MAX_AHEAD = timedelta(days=3660)
MAX_AHEAD_WORDS = "ten years"


def too_far_ahead(moment: datetime, now: datetime) -> bool:
    """Whether ``moment`` lies beyond the shared scheduling horizon."""
    return moment - now > MAX_AHEAD
