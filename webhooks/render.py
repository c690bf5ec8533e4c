"""Plain views as the API's JSON shapes (the schemas in ``webhooks.schemas``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.edits import Preview
from scheduler.views import (
    AccountView,
    CallbackView,
    EndpointView,
    HookView,
    MediaView,
    PostView,
    TokenView,
)


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def media_json(item: MediaView) -> dict[str, Any]:
    """A stored file."""
    return {
        "id": str(item.id),
        "content_type": item.content_type,
        "size_bytes": item.size_bytes,
        "sha256": item.sha256,
        "width": item.width,
        "height": item.height,
        "duration_seconds": item.duration_seconds,
        "filename": item.filename,
        "alt": item.alt,
    }


def post_json(post: PostView) -> dict[str, Any]:
    """A post with its destinations and media."""
    return {
        "id": str(post.id),
        "status": post.status,
        "text": post.content,
        "variants": dict(post.variants),
        "scheduled_at": iso(post.scheduled_at),
        "timezone": post.timezone,
        "recurrence": post.recurrence,
        "callback_url": post.callback_url,
        "created_at": iso(post.created_at),
        "revision": post.revision,
        "untimed": post.untimed,
        "queued": post.queued,
        "evergreen_days": post.evergreen_days,
        "parts": list(post.parts),
        "first_comment": post.first_comment,
        "destinations": [
            {
                "id": str(d.id),
                "platform": d.platform,
                "handle": d.handle,
                "status": d.status,
                "url": d.platform_url,
                "remote_id": d.platform_post_id,
                "error": d.error_message,
                "published_at": iso(d.published_at),
                "steps": [
                    {"seq": s.seq, "kind": s.kind, "status": s.status, "url": s.url,
                     "remote_id": s.remote_id, "error": s.error}
                    for s in d.steps
                ],
            }
            for d in post.destinations
        ],
        "media": [media_json(m) for m in post.media],
    }


def account_json(account: AccountView) -> dict[str, Any]:
    """A connected account; never its token."""
    return {
        "id": str(account.id),
        "platform": account.platform,
        "handle": account.handle,
        "display_name": account.display_name,
        "base_url": account.base_url,
        "status": account.status,
    }


def hook_json(hook: HookView, base_url: str) -> dict[str, Any]:
    """A hook with the URL to give the sender; never its secret."""
    return {
        "id": str(hook.id),
        "name": hook.name,
        "url": f"{base_url}/hooks/{hook.id}",
        "verification": hook.verification,
        "template": hook.template,
        "destinations": list(hook.destinations),
        "timing": hook.timing,
        "events": list(hook.events),
        "callback_url": hook.callback_url,
        "enabled": hook.enabled,
        "created_at": iso(hook.created_at),
    }


def token_json(token: TokenView) -> dict[str, Any]:
    """A token record; never the token."""
    return {
        "id": str(token.id),
        "name": token.name,
        "scopes": list(token.scopes),
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "expires_at": iso(token.expires_at),
    }


def endpoint_json(endpoint: EndpointView) -> dict[str, Any]:
    """A callback endpoint."""
    return {"id": str(endpoint.id), "url": endpoint.url, "created_at": iso(endpoint.created_at)}


def callback_json(item: CallbackView) -> dict[str, Any]:
    """One callback delivery and how it went."""
    return {
        "id": str(item.id),
        "event": item.event,
        "url": item.url,
        "status": item.status,
        "attempts": item.attempts,
        "response_code": item.response_code,
        "last_error": item.last_error,
        "next_attempt_at": iso(item.next_attempt_at),
        "delivered_at": iso(item.delivered_at),
        "created_at": iso(item.created_at),
    }


def preview_json(preview: Preview) -> dict[str, Any]:
    """A dry run: what would be sent where, and what stands in the way."""
    return {
        "dry_run": True,
        "ok": preview.ok,
        "text": preview.text,
        "when": iso(preview.when),
        "timezone": preview.timezone,
        "recurrence": preview.recurrence,
        "destinations": [
            {
                "account_id": str(d.account_id),
                "platform": d.platform,
                "handle": d.handle,
                "text": d.text,
                "length": d.length,
                "limit": d.limit,
                "count": d.count,
                "parts": [
                    {"text": p.text, "length": p.length, "limit": p.limit} for p in d.parts
                ],
                "first_comment": d.first_comment,
                "has_link": d.has_link,
                "media": list(d.media),
                "notes": list(d.notes),
                "problems": list(d.problems),
            }
            for d in preview.destinations
        ],
        "media": [media_json(m) for m in preview.media],
        "problems": list(preview.problems),
    }
