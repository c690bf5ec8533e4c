"""The callback events Outpost POSTs, signed (Standard Webhooks), to a post's ``callback_url``
and the workspace's endpoints: their names, what each means, and the JSON Schema of the body.

The names are the ones ``scheduler`` emits; the OpenAPI document lists each under ``webhooks``.
"""

from __future__ import annotations

from typing import Any

from core.states import CallbackEvent as E

POST_EVENTS = {
    E.POST_SCHEDULED: "A post was scheduled, from any chat, the calendar, the shell, the API "
    "or an inbound hook.",
    E.POST_RESCHEDULED: "A scheduled post was moved to another time (or to now: Post now).",
    E.POST_EDITED: "A scheduled post's text was changed.",
    E.POST_CANCELLED: "A scheduled post was cancelled.",
    E.POST_APPROVAL_REQUESTED: "A post was scheduled by someone who is not an approver where "
    "approval is required: it waits (status ``pending_approval``) and is not published until "
    "an owner or admin approves it.",
    E.POST_APPROVED: "An approver approved a waiting post: it is scheduled now.",
    E.POST_REJECTED: "An approver rejected a waiting post: it is a draft again; the reason is "
    "told to its author in the chat it came from.",
    E.POST_PUBLISHED: "Every destination of the post was published.",
    E.POST_PARTIALLY_PUBLISHED: "Some destinations were published, others failed.",
    E.POST_FAILED: "No destination of the post could be published.",
    E.DESTINATION_PUBLISHED: "One destination was published (``data.destination``).",
    E.DESTINATION_FAILED: "One destination failed (``data.destination``).",
}
ACCOUNT_EVENTS = {
    E.ACCOUNT_NEEDS_RECONNECT: "An account's access was refused or could not be renewed: "
    "someone must reconnect it. Its pending destinations failed with ``data.reason``; sent to "
    "the workspace's endpoints only.",
    E.ACCOUNT_CHECK_FAILED: "An account's daily check failed for another reason: the network "
    "no longer accepts the API version Outpost uses (Outpost needs an update), or it could not "
    "be reached; ``data.reason`` says which. Sent to the workspace's endpoints only.",
}
EVENTS = [str(e) for e in (*POST_EVENTS, *ACCOUNT_EVENTS)]

_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_UUID = {"type": "string", "format": "uuid"}
_NULL_STR = {"anyOf": [_STR, {"type": "null"}]}


def _object(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


_STEP = _object(
    {"seq": {"type": "integer"}, "kind": _STR, "status": _STR, "url": _NULL_STR,
     "error": _NULL_STR},
    ["seq", "kind", "status", "url", "error"],
)  # fmt: skip
_DESTINATION = _object(
    {"platform": _STR, "handle": _STR, "status": _STR, "url": _NULL_STR, "error": _NULL_STR,
     "steps": {"type": "array", "items": _STEP,
               "description": "A thread's post, parts and first comment, each with its outcome"}},
    ["platform", "handle", "status", "url", "error"],
)  # fmt: skip


def _envelope(events: list[str], data: dict[str, Any]) -> dict[str, Any]:
    return _object({"type": {"enum": events}, "timestamp": _TIME, "data": data},
                   ["type", "timestamp", "data"])  # fmt: skip


EVENT_SCHEMAS: dict[str, Any] = {
    "PostEvent": _envelope(
        list(POST_EVENTS),
        _object(
            {
                "post_id": _UUID,
                "status": _STR,
                "text": _STR,
                "scheduled_at": _TIME,
                "destinations": {"type": "array", "items": _DESTINATION},
                "destination": _DESTINATION,
            },
            ["post_id", "status", "text", "scheduled_at", "destinations"],
        ),
    ),
    "AccountEvent": _envelope(
        list(ACCOUNT_EVENTS),
        _object(
            {
                "account_id": _UUID,
                "platform": _STR,
                "handle": _STR,
                "reason": _STR,
                "failed_post_ids": {"type": "array", "items": _UUID},
            },
            ["account_id", "platform", "handle", "reason", "failed_post_ids"],
        ),
    ),
}


def webhooks_section() -> dict[str, Any]:
    """OpenAPI 3.1 ``webhooks``: one POST per event, its body and the answer expected."""
    out: dict[str, Any] = {}
    for events, schema in ((POST_EVENTS, "PostEvent"), (ACCOUNT_EVENTS, "AccountEvent")):
        for name, about in events.items():
            out[name] = {
                "post": {
                    "summary": about,
                    "description": "Signed with the workspace's secret (GET "
                    "/api/v1/callbacks/secret): headers webhook-id, webhook-timestamp, "
                    "webhook-signature. Any 2xx acknowledges; anything else is retried with "
                    "backoff for a day.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{schema}"}
                            }
                        },
                    },
                    "responses": {"2XX": {"description": "Received."}},
                }
            }
    return out
