"""The JSON Schemas of the API (OpenAPI 3.1 components): one source for the document and for
validating every request body, so the two cannot drift."""

from __future__ import annotations

from typing import Any

from core.states import DestinationStatus, PostStatus, StepKind, StepStatus
from webhooks.events import EVENT_SCHEMAS, EVENTS

POST_STATUSES = [str(s) for s in PostStatus]
DESTINATION_STATUSES = [str(s) for s in DestinationStatus]
STEP_KINDS = [str(s) for s in StepKind]
STEP_STATUSES = [str(s) for s in StepStatus]
MAX_TEXT = 100_000


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (3.1 style)."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(
    props: dict[str, Any], required: list[str] | None = None, *, closed: bool = True
) -> dict[str, Any]:
    """An object schema; ``closed`` forbids unknown fields (typos get an answer, not silence)."""
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if closed:
        out["additionalProperties"] = False
    return out


STR = {"type": "string"}
EVERGREEN = {"type": "integer", "minimum": 1, "maximum": 365, "description": "Evergreen: "
             "after each publish the post comes back into the queue, at most every N days."}
PARTS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
    "minItems": 1,
    "maxItems": 25,
    "description": "A thread's posts as written, in order: the first is the post, each next "
    "one a reply to the one before on networks that thread (X, Bluesky, Mastodon, Threads); "
    "others get them joined as one post. Each is checked against each network's limit.",
}
FIRST_COMMENT = {
    "type": "string",
    "maxLength": 10_000,
    "description": "Posted right after the post: a reply from the account on X, Bluesky, "
    "Mastodon and Threads (to the thread's last part), a comment on LinkedIn, Facebook and "
    "Instagram; networks without comments skip it. A failed comment does not fail the post; "
    "each destination's `steps` say how it went.",
}
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2000}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
DESTS = {
    "type": "array", "minItems": 1, "maxItems": 50,
    "items": {"type": "string", "minLength": 1, "maxLength": 200},
}  # fmt: skip
TEMPLATE = {"type": "string", "minLength": 1, "maxLength": 20_000}
HOOK_EVENTS = {
    "type": "array", "maxItems": 50,
    "items": {"type": "string", "minLength": 1, "maxLength": 100},
}  # fmt: skip
ALT = {
    "type": "string",
    "maxLength": 10_000,
    "description": "A description of the file for people who cannot see it (alt text), sent "
    "in each network's own field; checked against each destination's limit when scheduled.",
}
VARIANTS = {
    "type": "object",
    "maxProperties": 20,
    "propertyNames": {"pattern": "^[a-z]{1,20}$"},
    "additionalProperties": {"type": "string", "maxLength": MAX_TEXT},
    "description": 'Per-network versions, e.g. {"x": "short", "linkedin": "the longer one"}: '
    "each network in it gets its own text instead of `text`, checked against that network's "
    "limit. A version for a network the post does not go to is refused; `text` may be left "
    "out when every destination has a version.",
}
MEDIA_IDS = {
    "type": "array",
    "maxItems": 20,
    "items": {"oneOf": [UUID, obj({"id": UUID, "alt": ALT}, ["id"])]},
    "description": 'Uploaded media ids, in order; an item may be `{"id": …, "alt": …}` '
    "to give that file a description (alt text).",
}
REVISION = {
    "type": "integer",
    "minimum": 0,
    "maximum": 2_147_483_647,
    "description": "The post's `revision` this change was based on; if the post has changed "
    "since, the change is refused with 409 `revision_conflict` naming the current one. "
    '`If-Match: "N"` says the same.',
}
DRY_RUN = {
    "type": "boolean",
    "default": False,
    "description": "Check everything and answer the preview (per destination the text as it "
    "will be sent and what it would refuse); store nothing, queue nothing.",
}
FIT_MEDIA = {
    "type": "boolean",
    "default": False,
    "description": "Let Outpost convert photos a destination refuses for their format or byte "
    "size: as JPEG, recompressed or scaled down. Without it only conversions that lose "
    "nothing are made.",
}
NEW_STATUS = {
    "enum": ["scheduled", "draft"],
    "default": "scheduled",
    "description": "`draft` saves the post without queuing it (a time and destinations are "
    "then optional); schedule it later with PATCH `scheduled_at`. Where approval is required, "
    "a post from a token without the `approve` scope gets status `pending_approval`.",
}
TIMING = {
    "oneOf": [
        obj({"mode": {"const": "now"}}, ["mode"]),
        obj(
            {"mode": {"const": "delay"},
             "seconds": {"type": "integer", "minimum": 0, "maximum": 31_536_000}},
            ["mode", "seconds"],
        ),
        obj(
            {"mode": {"const": "field"},
             "field": {"type": "string", "minLength": 1, "maxLength": 200},
             "offset_seconds": {"type": "integer", "minimum": -31_536_000,
                                "maximum": 31_536_000}},
            ["mode", "field"],
        ),
    ]
}  # fmt: skip

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": STR,
                    "message": STR,
                    "problems": {"type": "array", "items": STR},
                    # A replayed create that showed a secret: what it made, not the secret.
                    "resource_id": UUID,
                    # A stale edit (409 revision_conflict): the post's revision now.
                    "current_revision": {"type": "integer"},
                },
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "Destination": obj(
        {
            "id": UUID,
            "platform": STR,
            "handle": STR,
            "status": {"enum": DESTINATION_STATUSES},
            "url": nullable(STR),
            "remote_id": nullable(STR),
            "error": nullable(STR),
            "published_at": nullable(TIME),
            "steps": {
                "type": "array",
                "items": ref("Step"),
                "description": "For a thread or a first comment: the post, each later part "
                "and the comment, in order (empty otherwise).",
            },
        },
        ["id", "platform", "handle", "status", "url", "error"],
    ),
    "Step": obj(
        {
            "seq": {"type": "integer", "description": "1 is the post, then the parts, then "
                    "the comment."},
            "kind": {"enum": STEP_KINDS},
            "status": {"enum": STEP_STATUSES},
            "url": nullable(STR),
            "remote_id": nullable(STR),
            "error": nullable({**STR, "description": "Why it failed or was skipped, and what "
                               "to do."}),
        },
        ["seq", "kind", "status", "url", "error"],
    ),
    "Media": obj(
        {
            "id": UUID,
            "content_type": STR,
            "size_bytes": {"type": "integer"},
            "sha256": STR,
            "width": nullable({"type": "integer"}),
            "height": nullable({"type": "integer"}),
            "duration_seconds": nullable({"type": "number"}),
            "filename": STR,
            "alt": {
                "type": "string",
                "description": "The description (alt text) given when the file was attached "
                "to this post; empty when none, and always empty for an upload.",
            },
        },
        ["id", "content_type", "size_bytes", "sha256", "filename"],
    ),
    "Post": obj(
        {
            "id": UUID,
            "status": {"enum": POST_STATUSES},
            "text": STR,
            "variants": {"type": "object", "additionalProperties": STR,
                         "description": "Per-network versions: {network: text}."},
            "scheduled_at": TIME,
            "timezone": STR,
            "recurrence": nullable(STR),
            "callback_url": nullable(STR),
            "created_at": TIME,
            "revision": {
                "type": "integer",
                "description": "Goes up with every change; send it back with an edit (also "
                "the post's ETag).",
            },
            "untimed": {"type": "boolean", "description": "A draft saved without a time "
                        "(`scheduled_at` is then when it was saved)."},
            "queued": {"type": "boolean", "description": "Placed in a queue slot: `move` and "
                       "pulling forward may move it."},
            "evergreen_days": nullable({"type": "integer", "description": "Back into the "
                                        "queue at most every N days after each publish."}),
            "destinations": {"type": "array", "items": ref("Destination")},
            "media": {"type": "array", "items": ref("Media")},
            "parts": {"type": "array", "items": STR, "description": "The thread's parts as "
                      "written; empty for one text."},
            "first_comment": nullable(STR),
        },
        ["id", "status", "text", "scheduled_at", "timezone", "revision", "destinations", "media"],
    ),
    "PostList": obj(
        {
            "items": {"type": "array", "items": ref("Post")},
            "next_offset": nullable({"type": "integer"}),
            "next_cursor": nullable(
                {
                    "type": "string",
                    "description": "Pass as `cursor` for the next page; null on the last.",
                }
            ),
        },
        ["items", "next_offset", "next_cursor"],
    ),
    "DestinationPreview": obj(
        {
            "account_id": UUID,
            "platform": STR,
            "handle": STR,
            "text": {"type": "string", "description": "The text as it will be sent."},
            "length": {"type": "integer", "description": "As the network counts it."},
            "limit": {"type": "integer"},
            "count": {"type": "string", "description": 'The length against the limit, e.g. '
                      '"271/280"; a thread\'s parts each, e.g. "120/300 · 80/300".'},
            "parts": {
                "type": "array",
                "description": "A thread's parts in order, each counted; empty for one text.",
                "items": obj({"text": STR, "length": {"type": "integer"},
                              "limit": {"type": "integer"}}, ["text", "length", "limit"]),
            },
            "first_comment": {**nullable(STR), "description": "Posted as the first reply or "
                              "comment; null when there is none or the network has none."},
            "has_link": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "description":
                         "X only (null elsewhere): the post carries a link, which X's "
                         "pay-per-use API charges more for."},
            "media": {"type": "array", "items": STR,
                      "description": 'The files as sent, e.g. "image/jpeg 1200×800".'},
            "notes": {"type": "array", "items": STR,
                      "description": 'What it posts without, e.g. "No first comment on '
                      'Discord".'},
            "problems": {"type": "array", "items": STR},
        },
        ["account_id", "platform", "handle", "text", "length", "limit", "count", "parts",
         "first_comment", "has_link", "media", "notes", "problems"],
    ),
    "PostPreview": obj(
        {
            "dry_run": {"const": True},
            "ok": {"type": "boolean", "description": "True when it would be scheduled."},
            "text": STR,
            "when": nullable(TIME),
            "timezone": STR,
            "recurrence": nullable(STR),
            "destinations": {"type": "array", "items": ref("DestinationPreview")},
            "media": {"type": "array", "items": ref("Media")},
            "problems": {"type": "array", "items": STR},
        },
        ["dry_run", "ok", "text", "when", "destinations", "media", "problems"],
    ),
    "PostOrPreview": {"oneOf": [ref("Post"), ref("PostPreview")]},
    "MediaUrl": obj(
        {
            "url": {
                **URL,
                "description": "A public http(s) URL of a photo or video; fetched "
                "once, identified by its content, stored like an upload.",
            }
        },
        ["url"],
    ),
    "RequestPost": obj(
        {
            "request": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TEXT,
                "description": "The chats' grammar, e.g. `tomorrow 9am to mastodon: hi`; "
                "trailing `alt: …` lines describe the `media` in order (`alt 2: …` the second).",
            },
            "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
            "media": MEDIA_IDS,
            "fit_media": FIT_MEDIA,
            "callback_url": URL,
            "dry_run": DRY_RUN,
            "status": NEW_STATUS,
        },
        ["request"],
    ),
    "FieldsPost": {
        **obj(
            {
                "text": {
                    "type": "string",
                    "maxLength": MAX_TEXT,
                    "description": "The post. It may be left out with `parts` (the parts "
                    "joined by a blank line, which networks that cannot thread get), or when "
                    "every destination has its own version in `variants`.",
                },
                "variants": VARIANTS,
                "parts": PARTS,
                "first_comment": FIRST_COMMENT,
                "when": TIME,
                "destinations": DESTS,
                "media": MEDIA_IDS,
                "fit_media": FIT_MEDIA,
                "callback_url": URL,
                "dry_run": DRY_RUN,
                "status": NEW_STATUS,
                "queue": {"type": "boolean", "description": "Take the next queue slot free on "
                          "every destination instead of `when` (`GET /api/v1/slots`)."},
                "evergreen_days": EVERGREEN,
            },
        ),
        # `when` and `destinations` may be left out of a draft only.
        "anyOf": [{"required": ["text"]}, {"required": ["variants"]}, {"required": ["parts"]}],
    },
    "NewPost": {"oneOf": [ref("RequestPost"), ref("FieldsPost")]},
    "EditPost": {
        **obj(
            {
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
                "when": TIME,
                "scheduled_at": {**TIME, "description": "Gives a draft its time: it is "
                                 "scheduled, or waits for approval where that is required."},
                "destinations": {
                    **DESTS,
                    "description": "The accounts it goes to, replacing the current ones; "
                    "refused (409) once any destination has published or is publishing.",
                },
                "media": {
                    **MEDIA_IDS,
                    "description": "The files it carries, replacing the current ones (`[]` "
                    "for none); refused (409) once any destination has published or is "
                    "publishing.",
                },
                "revision": REVISION,
                "variants": VARIANTS,
                "dry_run": DRY_RUN,
                "parts": {**PARTS, "minItems": 0, "description": "The thread's parts, "
                          "replacing the current ones (`[]`: one text again)."},
                "first_comment": {**FIRST_COMMENT, "description": "The first comment, "
                                  "replacing the current one (`\"\"` removes it)."},
            }
        ),
        "minProperties": 1,
    },
    "Approve": obj({"when": TIME}),
    "Reject": obj({"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}, ["reason"]),
    "Reschedule": obj({"when": TIME, "revision": REVISION}, ["when"]),
    "Move": obj({"direction": {"enum": ["up", "down"]}}, ["direction"]),
    "MovedPosts": obj({"moved": ref("Post"), "swapped": ref("Post")}, ["moved", "swapped"]),
    "Slot": obj(
        {
            "account_id": nullable({**UUID, "description": "null: the workspace's slot."}),
            "weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                        "description": "0 = Monday … 6 = Sunday."},
            "time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                     "description": "Local time of day in the workspace's zone."},
        },
        ["weekday", "time"],
    ),
    "Slots": obj(
        {
            "timezone": STR,
            "pull_forward": {"type": "boolean"},
            "items": {"type": "array", "items": ref("Slot")},
            "next_free": nullable({**TIME, "description": "With `account`: the next free "
                                   "slot of those accounts."}),
        },
        ["timezone", "pull_forward", "items"],
    ),
    "SetSlots": obj(
        {
            "account": nullable({**STR, "description": "An account as in requests "
                                 "(`linkedin`, `@acme.bsky.social`); null or absent: the "
                                 "workspace's slots."}),
            "slots": {"type": "array", "maxItems": 200, "items": obj({
                "weekday": {"type": "integer", "minimum": 0, "maximum": 6},
                "time": {"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$"},
            }, ["weekday", "time"]), "description": "Replace that account's slots; [] clears."},
            "pull_forward": {"type": "boolean", "description": "Cancelling a queued post "
                             "moves the later ones of its queue up a slot each."},
        },
        ["slots"],
    ),
    "Account": obj(
        {
            "id": UUID,
            "platform": STR,
            "handle": STR,
            "display_name": nullable(STR),
            "base_url": STR,
            "status": STR,
        },
        ["id", "platform", "handle", "status"],
    ),
    "AccountCreated": obj({"account": ref("Account"), "secret": nullable(STR)}, ["account"]),
    "NewAccount": obj(
        {
            "platform": {"type": "string", "minLength": 1, "maxLength": 32},
            "handle": {"type": "string", "minLength": 1, "maxLength": 200},
            "base_url": URL,
            "token": {"type": "string", "minLength": 1, "maxLength": 4000},
            "display_name": {"type": "string", "maxLength": 200},
        },
        ["platform", "handle"],
    ),
    "Timing": TIMING,
    "Hook": obj(
        {
            "id": UUID,
            "name": STR,
            "url": STR,
            "verification": {"enum": ["standard", "github", "token"]},
            "template": STR,
            "destinations": {"type": "array", "items": STR},
            "timing": ref("Timing"),
            "events": {"type": "array", "items": STR},
            "callback_url": nullable(STR),
            "enabled": {"type": "boolean"},
            "created_at": TIME,
        },
        ["id", "name", "url", "verification", "template", "destinations", "timing", "enabled"],
    ),
    "HookCreated": obj({"hook": ref("Hook"), "secret": STR}, ["hook", "secret"]),
    "NewHook": obj(
        {
            "name": NAME,
            "verification": {"enum": ["standard", "github", "token"]},
            "template": TEMPLATE,
            "destinations": DESTS,
            "timing": ref("Timing"),
            "events": HOOK_EVENTS,
            "callback_url": URL,
            "secret": {"type": "string", "minLength": 16, "maxLength": 200},
        },
        ["name", "verification", "template", "destinations"],
    ),
    "EditHook": obj(
        {
            "name": NAME,
            "template": TEMPLATE,
            "destinations": DESTS,
            "timing": ref("Timing"),
            "events": HOOK_EVENTS,
            "callback_url": nullable(URL),
            "enabled": {"type": "boolean"},
        },
    ),
    "HookPreview": obj({"payload": {}, "event": {"type": "string", "maxLength": 100}}, ["payload"]),
    "Preview": obj(
        {
            "text": nullable(STR),
            "when": nullable(TIME),
            "destinations": {"type": "array", "items": STR},
            "problems": {"type": "array", "items": STR},
        },
        ["text", "when", "destinations", "problems"],
    ),
    "HookResult": obj(
        {
            "status": {"enum": ["created", "duplicate", "ignored"]},
            "post_id": nullable(UUID),
            "reason": STR,
            "post": ref("Post"),
        },
        ["status", "post_id"],
    ),
    "Token": obj(
        {
            "id": UUID,
            "name": STR,
            "scopes": {"type": "array", "items": {"enum": ["read", "write", "approve"]}},
            "created_at": TIME,
            "last_used_at": nullable(TIME),
            "revoked_at": nullable(TIME),
            "expires_at": nullable(TIME),
        },
        ["id", "name", "scopes", "created_at"],
    ),
    "TokenCreated": obj({"token": STR, "info": ref("Token")}, ["token", "info"]),
    "NewToken": obj(
        {
            "name": NAME,
            "scopes": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": ["read", "write"]},
            },
            "expires_in": {
                "type": "string",
                "pattern": "^[0-9]{1,6}[mhdw]$",
                "description": "How long it lasts, e.g. `30d`, `12h`, `8w`, `90m`; without "
                "it, until revoked. An expired token is refused with 401 `token_expired`.",
            },
        },
        ["name", "scopes"],
    ),
    "Endpoint": obj({"id": UUID, "url": STR, "created_at": TIME}, ["id", "url"]),
    "NewEndpoint": obj({"url": URL}, ["url"]),
    "Secret": obj({"secret": STR}, ["secret"]),
    "CallbackDelivery": obj(
        {
            "id": UUID,
            "event": {"enum": EVENTS},
            "url": STR,
            "status": {"enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer"},
            "response_code": nullable({"type": "integer"}),
            "last_error": nullable(STR),
            "next_attempt_at": nullable(TIME),
            "delivered_at": nullable(TIME),
            "created_at": TIME,
        },
        ["id", "event", "url", "status", "attempts"],
    ),
}


def listing(name: str) -> dict[str, Any]:
    """``{"items": [<name>]}``."""
    return obj({"items": {"type": "array", "items": ref(name)}}, ["items"])


for _name in ("Account", "Hook", "Token", "Endpoint", "CallbackDelivery"):
    SCHEMAS[f"{_name}List"] = listing(_name)
SCHEMAS.update(EVENT_SCHEMAS)
