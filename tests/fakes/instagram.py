"""Instagram's rules for ``tests.fakes.facebook``: what a container may be, and the daily limit.

From Meta's docs read 2026-12-07: IG User Media reference (a carousel item is an image or
``media_type=VIDEO`` with ``is_carousel_item=true``; reels cannot be carousel items; ``VIDEO``
alone is no longer accepted since 2023-11-09, use ``REELS``; ``alt_text`` is for images only),
IG User Content Publishing Limit (``GET /{ig-user-id}/content_publishing_limit``: ``quota_usage``
and ``config {quota_total, quota_duration}``; 100 API-published posts in a moving 24 hours, a
carousel counting as one) and Error Codes (code 9, subcode 2207042: the limit was reached;
code -1, subcode 2207001: a server error, try again).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web

DAY = 86_400
PUBLISH_LIMIT = 100


def _refuse(code: int, message: str, subcode: int | None = None) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": {**error, "fbtrace_id": "AbCdEf"}}, status=400)


def container_refusal(fields: dict[str, Any]) -> web.Response | None:
    """Why Instagram would refuse to create this container, or None."""
    kind = str(fields.get("media_type", ""))
    item = str(fields.get("is_carousel_item", "false")).lower() == "true"
    if not (fields.get("image_url") or fields.get("video_url") or fields.get("children")):
        return _refuse(100, "Media URL is required")
    if item and kind not in ("", "IMAGE", "VIDEO"):
        return _refuse(100, f"(#100) media_type {kind} is not supported for carousel items")
    if kind == "VIDEO" and not item:
        return _refuse(100, "(#100) The VIDEO media type is no longer supported; use REELS")
    if fields.get("video_url") and kind not in ("VIDEO", "REELS", "STORIES"):
        return _refuse(100, "(#100) video_url needs media_type VIDEO, REELS or STORIES")
    if fields.get("alt_text") and not fields.get("image_url"):
        return _refuse(100, "(#100) alt_text is only supported for images")
    return None


def published_in_window(stamps: Iterable[float], now: float) -> int:
    """Posts published through the API in the 24 hours before ``now``."""
    return sum(1 for at in stamps if now - at < DAY)


def server_error() -> web.Response:
    """Error Codes: -1 / 2207001, "Instagram server error. Try again."."""
    return _refuse(-1, "Instagram server error. Try again.", subcode=2207001)


def limit_reached() -> web.Response:
    """The answer to a publish past the daily limit."""
    return _refuse(9, "Application request limit reached", subcode=2207042)


def limit_usage(used: int, total: int) -> web.Response:
    """``content_publishing_limit``'s answer."""
    config = {"quota_total": total, "quota_duration": DAY}
    return web.json_response({"data": [{"quota_usage": used, "config": config}]})


def now() -> float:
    """The wall clock, for the fake's window."""
    return time.time()
