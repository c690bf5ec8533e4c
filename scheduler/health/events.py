"""Account events for the workspace's callback endpoints, from the scheduled checks.

``account.needs_reconnect`` when the network refused the account's token, ``account.check_failed``
when the check failed otherwise (the API version retired, or the network unreachable). Sent to
every endpoint of the workspace (there is no post, so no post ``callback_url``), at most once a
day per account and event (the delivery's dedupe key), signed and retried like post events.
The connect link is not in the payload: it lets its holder connect an account to the
workspace, so it goes to chat members only.
"""

from __future__ import annotations

from datetime import UTC

from core.states import CallbackEvent
from scheduler.api_tokens import callback_store
from scheduler.health.checks import OK, RECONNECT, AccountHealth
from scheduler.hooks.callbacks import enqueue_callbacks
from scheduler.runtime import Runtime
from storage.api_callbacks import NewCallback


def event_for(result: AccountHealth) -> CallbackEvent | None:
    """The event a check's verdict calls for, if any."""
    if result.health.status == OK:
        return None
    if result.health.status == RECONNECT:
        return CallbackEvent.ACCOUNT_NEEDS_RECONNECT
    return CallbackEvent.ACCOUNT_CHECK_FAILED


async def emit_account_event(rt: Runtime, result: AccountHealth) -> int:
    """Queue the verdict's event for the workspace's endpoints; returns how many were new."""
    event = event_for(result)
    if event is None:
        return 0
    acc = result.account
    endpoints = await callback_store(rt).endpoints(acc.workspace_id)
    if not endpoints:
        return 0
    now = rt.clock.now()
    payload = {
        "type": str(event),
        "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "account_id": str(acc.id),
            "platform": acc.platform,
            "handle": acc.handle,
            "status": result.health.status,
            "reason": result.health.reason,
            "next": result.advice,
        },
    }
    day = now.astimezone(UTC).date().isoformat()
    key = f"account:{acc.id}:{event}:{day}"
    items = [
        NewCallback(acc.workspace_id, None, event, e.url, f"{key}:{e.url}"[:400], payload)
        for e in endpoints
    ]
    ids = await callback_store(rt).add(items, now)
    await enqueue_callbacks(rt, ids)
    return len(ids)
