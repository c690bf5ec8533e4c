"""Health notices in chat, said in the thread a post was scheduled from.

A notice goes through the runtime's ``Notifier`` like a post's result (so each chat adapter
replies where it already replies: Slack in the request's thread, Telegram to the request's
message), as a ``PostResult`` whose ``status`` is the notice's headline and whose lines say
what is wrong and what to do. The origin loses its summary-message keys: a notice is a reply
and must not rewrite the post's summary (only its real result does).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from scheduler.notifier import DestinationResult, PostResult
from scheduler.runtime import Runtime
from storage.views import PostView

log = logging.getLogger("outpost.health")
_SUMMARY_KEYS = ("summary", "summary_ts")


def where(origin: Mapping[str, Any]) -> tuple[str, ...]:
    """The place a notice lands (platform, chat, thread): one notice per place."""
    keys = ("platform", "team_id", "channel", "thread_ts", "chat_id", "message_id")
    return tuple(str(origin.get(k, "")) for k in keys)


def chat_origin(origin: Mapping[str, Any]) -> dict[str, Any] | None:
    """The origin a notice can be replied to; None for posts made outside a chat."""
    if str(origin.get("platform", "")) not in ("slack", "telegram"):
        return None
    return {k: v for k, v in origin.items() if k not in _SUMMARY_KEYS}


async def tell(
    rt: Runtime,
    post: PostView,
    headline: str,
    lines: Sequence[tuple[str, str, str]],
    origin: Mapping[str, Any] | None = None,
) -> bool:
    """Reply ``headline`` and ``lines`` (platform, handle, what) where ``post`` came from."""
    where_from = origin if origin is not None else post.origin
    return await tell_chat(rt, post.workspace_id, where_from, headline, post, lines)


async def tell_chat(
    rt: Runtime,
    workspace_id: uuid.UUID,
    origin: Mapping[str, Any],
    headline: str,
    post: PostView | None = None,
    lines: Sequence[tuple[str, str, str]] = (),
) -> bool:
    """Reply ``headline`` and ``lines`` in the chat ``origin`` names; False when it is no chat
    or the chat could not be reached."""
    place = chat_origin(origin)
    if place is None:
        return False
    result = PostResult(
        post_id=str(post.id) if post else "",
        workspace_id=str(workspace_id),
        status=headline,
        text=post.content if post else "",
        origin=place,
        callback_url=None,
        destinations=tuple(DestinationResult(p, h, "notice", None, what) for p, h, what in lines),
    )
    try:
        await rt.notifier.notify(result)
    except Exception as exc:  # a chat that is down must not stop the other notices
        log.warning("notice not delivered", extra={"error": repr(exc)})
        return False
    return True
