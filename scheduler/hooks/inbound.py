"""Inbound hooks after verification: render the post from the sender's JSON, pick its time,
schedule it once per delivery id, and preview all of that without storing anything."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import LimitReached, RequestProblem
from core.limits import MAX_AHEAD_WORDS, too_far_ahead
from publishers import signing
from publishers.base import PublishRequest
from scheduler.api_tokens import api_store
from scheduler.destinations import resolve
from scheduler.hooks.templates import TemplateLimit
from scheduler.requests import account_for
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.api import HookView
from storage.views import PostView

log = logging.getLogger("outpost.hooks")


@dataclass(frozen=True)
class Outcome:
    """What a delivery did: ``created``, ``duplicate`` or ``ignored``."""

    status: str
    post: PostView | None = None
    post_id: uuid.UUID | None = None
    reason: str = ""


async def check_template(rt: Runtime, template: str) -> None:
    """Raise RequestProblem if ``template`` does not compile (compiled off the event loop)."""
    await rt.templates.check(template)


async def render(rt: Runtime, template: str, payload: Any, event: str | None = None) -> str:
    """The post text: ``template`` rendered with the payload's top-level keys (and ``payload``),
    in a worker process with a deadline; RequestProblem names the limit it passed."""
    context: dict[str, Any] = dict(payload) if isinstance(payload, dict) else {}
    context.update(payload=payload, event=event)
    text = await rt.templates.render(template, context)
    return text.strip()


def _field(payload: Any, path: str) -> Any:
    value = payload
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise RequestProblem(
                [f"The payload has no field {path!r} for the post's time."],
                'Point "timing.field" at an ISO-8601 time or a Unix timestamp in the payload.',
            )
    return value


def due_time(timing: dict[str, Any], payload: Any, now: datetime) -> datetime:
    """When the post goes out: now, after a delay, or at a time field of the payload."""
    mode = timing.get("mode", "now")
    if mode == "delay":
        return now + timedelta(seconds=float(timing.get("seconds", 0)))
    if mode != "field":
        return now
    raw = _field(payload, str(timing.get("field", "")))
    try:
        if isinstance(raw, bool):
            raise TypeError
        if isinstance(raw, int | float):
            when = datetime.fromtimestamp(float(raw), UTC)
        else:
            when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except (TypeError, ValueError, OverflowError, OSError):
        raise RequestProblem(
            [f"The payload's {timing.get('field')!r} is not a time: {str(raw)[:60]!r}."],
            "Use an ISO-8601 time with an offset, e.g. 2026-12-03T10:30:00Z.",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    far = RequestProblem(
        [f"The payload's {timing.get('field')!r} is more than {MAX_AHEAD_WORDS} ahead."],
        "Posts are scheduled at most that far ahead; send a nearer time.",
    )
    try:
        when += timedelta(seconds=float(timing.get("offset_seconds", 0)))
    except OverflowError:
        raise far from None
    if too_far_ahead(when, now):
        raise far
    # A time already past (the sender was slow, or announces what just happened) means now.
    return max(when, now)


async def preview(
    rt: Runtime, hook: HookView, payload: Any, event: str | None = None
) -> dict[str, Any]:
    """What a delivery of ``payload`` would schedule, and what stops it; stores nothing."""
    problems: list[str] = []
    text: str | None = None
    when: datetime | None = None
    try:
        text = await render(rt, hook.template, payload, event)
    except TemplateLimit:
        raise  # the template itself is unfit: a 422, not a problem of this payload
    except RequestProblem as exc:
        problems.extend(exc.problems)
    try:
        when = due_time(hook.timing, payload, rt.clock.now())
    except RequestProblem as exc:
        problems.extend(exc.problems)
    chosen, unknown = resolve(hook.destinations, await rt.workspaces.accounts(hook.workspace_id))
    problems.extend(unknown)
    for account in chosen:
        publisher = rt.publishers.get(account.platform)
        if publisher is None or text is None:
            continue
        request = PublishRequest("", "", text, account_for(account, None))
        problems.extend(p.text() for p in publisher.validate(request))
    if text is not None and not text:
        problems.append("The template renders to empty text for this payload.")
    return {
        "text": text,
        "when": when.isoformat() if when else None,
        "destinations": [f"{a.platform}:{a.handle}" for a in chosen],
        "problems": list(dict.fromkeys(problems)),
    }


async def receive(
    rt: Runtime,
    hook: HookView,
    payload: Any,
    delivery_id: str,
    event: str | None = None,
    body_key: str | None = None,
) -> Outcome:
    """Schedule the post for one verified delivery; a redelivery creates nothing, nor does a
    replay of a body (``body_key``, its SHA-256) seen within ``BODY_WINDOW``."""
    if event == "ping":
        return Outcome("ignored", reason="ping")
    if hook.events and event is not None and event not in hook.events:
        return Outcome("ignored", reason=f"event {event!r} is not one this hook posts for")
    store = api_store(rt)
    keys = list(dict.fromkeys([delivery_id, *([body_key] if body_key else [])]))
    new, post_id = await store.claim_delivery(hook.id, keys, rt.clock.now())
    if not new:
        return Outcome("duplicate", post_id=post_id)
    settled = False

    async def settle(post: PostView) -> None:
        nonlocal settled
        await store.settle_delivery(hook.id, keys, post.id)
        settled = True

    try:
        text = await render(rt, hook.template, payload, event)
        when = due_time(hook.timing, payload, rt.clock.now())
        workspace = await rt.workspaces.by_id(hook.workspace_id)
        post = await Scheduler(rt).schedule_fields(
            workspace.id,
            text=text,
            when=when,
            destinations=list(hook.destinations),
            tz=workspace.timezone,
            origin={"platform": "hook", "hook_id": str(hook.id), "delivery_id": delivery_id},
            callback_url=hook.callback_url,
            on_stored=settle,
        )
    except BaseException as exc:
        if not settled:
            await store.settle_delivery(hook.id, keys, None)
        if isinstance(exc, RequestProblem | LimitReached):
            log.warning(
                "hook delivery refused",
                extra={"hook_id": str(hook.id), "delivery_id": delivery_id, "reason": exc.message},
            )
        raise
    return Outcome("created", post=post, post_id=post.id)


async def create_hook(
    rt: Runtime, workspace_id: uuid.UUID, *, verification: str, secret: str | None,
    **fields: Any,
) -> tuple[HookView, str]:
    """Store a new hook with its secret (given, or made for ``verification``) encrypted; the
    secret is returned to be shown once."""  # fmt: skip
    secret = secret or (
        signing.generate_secret() if verification == "standard" else secrets.token_urlsafe(32)
    )
    if verification == "standard":
        try:
            signing.secret_bytes(secret)
        except signing.SignatureError as exc:
            raise RequestProblem([f"`secret`: {exc}."]) from None
    hook = await api_store(rt).add_hook(
        workspace_id,
        verification=verification,
        secret_enc=rt.cipher.encrypt(secret),
        enabled=True,
        **fields,
    )
    return hook, secret


async def update_hook(
    rt: Runtime, workspace_id: uuid.UUID, hook_id: uuid.UUID, **fields: Any
) -> HookView:
    """Change a hook's fields; its secret stays."""
    return await api_store(rt).update_hook(workspace_id, hook_id, **fields)


async def delete_hook(rt: Runtime, workspace_id: uuid.UUID, hook_id: uuid.UUID) -> None:
    """Delete a hook and its delivery records."""
    await api_store(rt).delete_hook(workspace_id, hook_id)


def hook_secret(rt: Runtime, hook: HookView) -> str:
    """The secret a hook's deliveries are verified with, decrypted."""
    return rt.cipher.decrypt(hook.secret_enc)
