"""The OpenAPI 3.1 document, built from one table of operations.

The server's routes are made from the same table (``webhooks.setup``) and request bodies are
validated against the same schemas, so the document and the server cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import (  # type: ignore[import-untyped]
    ValidationError,
    best_match,
)

from webhooks.events import webhooks_section
from webhooks.schemas import POST_STATUSES, SCHEMAS, ref

ERROR_STATUSES = {
    400: "Malformed JSON (the message says where) or a malformed header.",
    401: "Missing, unknown or revoked token; for hooks, a missing or invalid signature.",
    403: "The token lacks the scope this operation needs, or (`plan_limit`) the workspace's "
    "plan allows no more connected accounts, posts this month, members or upload size: the "
    "message names the plan that does.",
    404: "No such thing in this workspace.",
    409: "The thing's state forbids this, or the Idempotency-Key was used for another body, "
    "or (`secret_not_replayed`) it replays a create that showed a secret (a token, a hook's "
    "or a webhook account's secret): secrets are never stored for replay, so the answer names "
    "what was made in `error.resource_id` instead.",
    413: "The body is larger than the limit named in the message.",
    422: "The body is valid JSON but not a valid request; `problems` lists why.",
    429: "Too many requests for this token (for a hook: verified deliveries to it, or "
    "unverified requests to it from one address, counted apart); see Retry-After.",
}


@dataclass(frozen=True)
class Operation:
    """One route: method, path, the scope it needs, its body schema and success answer."""

    method: str
    path: str
    operation_id: str
    summary: str
    scope: str | None = "read"
    body: str | None = None
    ok: int = 200
    result: str | None = None
    params: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string",
            "format": "uuid"}}  # fmt: skip


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


POST_ID = (_path("post_id"),)
HOOK_ID = (_path("hook_id"),)
LIST_QUERY = (
    _query("start", {"type": "string", "format": "date-time"}, "Posts due at or after."),
    _query("end", {"type": "string", "format": "date-time"}, "Posts due before."),
    {**_query("status", {"type": "array", "items": {"enum": POST_STATUSES}, "maxItems": 8},
              "Only these statuses (repeat the parameter)."), "style": "form", "explode": True},
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size."),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0},
           "From `next_offset` of the previous page (prefer `cursor`)."),
    _query("cursor", {"type": "string", "maxLength": 200},
           "From `next_cursor` of the previous page: stable while posts are added or moved."),
    _query("q", {"type": "string", "maxLength": 200},
           "Only posts whose text contains this (case-insensitive)."),
)  # fmt: skip
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False,
    "description": 'The post revision the change is based on, e.g. `"3"`; a post changed '
                   "since answers 409 `revision_conflict` with `error.current_revision`.",
    "schema": {"type": "string", "maxLength": 40},
}  # fmt: skip

W = "write"
OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/api/v1/openapi.json", "getOpenApi", "This document.", scope=None),
    Operation("get", "/api/v1/posts", "listPosts", "Posts in a time window, by status.",
              result="PostList", params=LIST_QUERY),
    Operation("post", "/api/v1/posts", "createPost",
              "Schedule from a `request` sentence or from structured fields; with `dry_run` "
              "answer 200 with the preview and store nothing.",
              W, "NewPost", 201, "PostOrPreview"),
    Operation("get", "/api/v1/posts/{post_id}", "getPost", "One post.", result="Post",
              params=POST_ID),
    Operation("patch", "/api/v1/posts/{post_id}", "editPost",
              "Change a post's text, time, destinations or media (with `dry_run`: the "
              "preview, nothing stored); `scheduled_at` schedules a draft.",
              W, "EditPost", 200, "PostOrPreview", (*POST_ID, IF_MATCH)),
    Operation("post", "/api/v1/posts/{post_id}/approve", "approvePost",
              "Approve a post waiting for approval (optionally at a new `when`); needs a token "
              "with the `approve` scope.", "approve", "Approve", 200, "Post", POST_ID),
    Operation("post", "/api/v1/posts/{post_id}/reject", "rejectPost",
              "Reject a post waiting for approval: a draft again, its author told `reason`; "
              "needs the `approve` scope.", "approve", "Reject", 200, "Post", POST_ID),
    Operation("post", "/api/v1/posts/{post_id}/reschedule", "reschedulePost",
              "Move a scheduled post.", W, "Reschedule", 200, "Post", (*POST_ID, IF_MATCH)),
    Operation("post", "/api/v1/posts/{post_id}/publish-now", "publishPostNow",
              "Publish a scheduled post now.", W, None, 200, "Post", (*POST_ID, IF_MATCH)),
    Operation("post", "/api/v1/posts/{post_id}/cancel", "cancelPost", "Cancel a scheduled post.",
              W, None, 200, "Post", POST_ID),
    Operation("post", "/api/v1/posts/{post_id}/retry", "retryPost",
              "Retry a post's failed destinations.", W, None, 200, "Post", POST_ID),
    Operation("get", "/api/v1/posts/{post_id}/callbacks", "listPostCallbacks",
              "The callback delivery log of a post.", result="CallbackDeliveryList",
              params=POST_ID),
    Operation("post", "/api/v1/media", "uploadMedia", "Upload a photo or video (multipart).",
              W, "multipart", 201, "Media"),
    Operation("post", "/api/v1/media/from-url", "uploadMediaFromUrl",
              "Fetch a photo or video from a public URL and store it like an upload.",
              W, "MediaUrl", 201, "Media"),
    Operation("post", "/api/v1/posts/{post_id}/move", "movePost",
              "Swap a queued post's time with the previous (`up`) or next (`down`) post of its "
              "queue; both are rescheduled.", W, "Move", 200, "MovedPosts", POST_ID),
    Operation("post", "/api/v1/posts/{post_id}/evergreen/stop", "stopEvergreen",
              "Stop an evergreen post (and the copies it made) coming back into the queue.",
              W, None, 200, "Post", POST_ID),
    Operation("get", "/api/v1/slots", "listSlots",
              "The queue slots (the workspace's and each account's own) and the queue's "
              "settings.", result="Slots",
              params=(_query("account", {"type": "string", "maxLength": 200}, "Only the slots "
                             "this account uses, and its next free one."),)),
    Operation("put", "/api/v1/slots", "setSlots",
              "Replace the queue slots of one account or of the workspace.", W, "SetSlots",
              200, "Slots"),
    Operation("get", "/api/v1/accounts", "listAccounts", "Connected accounts.",
              result="AccountList"),
    Operation("post", "/api/v1/accounts", "addAccount", "Connect a token-based account.",
              W, "NewAccount", 201, "AccountCreated"),
    Operation("delete", "/api/v1/accounts/{account_id}", "removeAccount",
              "Disconnect an account.", W, None, 204, None, (_path("account_id"),)),
    Operation("get", "/api/v1/hooks", "listHooks", "Inbound hooks.", result="HookList"),
    Operation("post", "/api/v1/hooks", "createHook",
              "Make an inbound hook; its secret is shown once.", W, "NewHook", 201,
              "HookCreated"),
    Operation("get", "/api/v1/hooks/{hook_id}", "getHook", "One hook.", result="Hook",
              params=HOOK_ID),
    Operation("patch", "/api/v1/hooks/{hook_id}", "editHook", "Change a hook.", W, "EditHook",
              200, "Hook", HOOK_ID),
    Operation("delete", "/api/v1/hooks/{hook_id}", "deleteHook", "Delete a hook.", W, None, 204,
              None, HOOK_ID),
    Operation("post", "/api/v1/hooks/{hook_id}/preview", "previewHook",
              "Render a sample payload into the post it would make; stores nothing. A "
              "template that passes a limit (1 s to render, 100 KB of output, huge numbers or "
              "strings) is a 422 naming it.",
              "read", "HookPreview", 200, "Preview", HOOK_ID),
    Operation("get", "/api/v1/tokens", "listTokens", "API tokens of this workspace.",
              result="TokenList"),
    Operation("post", "/api/v1/tokens", "createToken", "A new token, shown once.", W,
              "NewToken", 201, "TokenCreated"),
    Operation("delete", "/api/v1/tokens/{token_id}", "revokeToken", "Revoke a token.", W, None,
              204, None, (_path("token_id"),)),
    Operation("get", "/api/v1/callbacks/endpoints", "listEndpoints",
              "URLs that hear about every post.", result="EndpointList"),
    Operation("post", "/api/v1/callbacks/endpoints", "addEndpoint", "Add a callback URL.", W,
              "NewEndpoint", 201, "Endpoint"),
    Operation("delete", "/api/v1/callbacks/endpoints/{endpoint_id}", "removeEndpoint",
              "Remove a callback URL.", W, None, 204, None, (_path("endpoint_id"),)),
    Operation("get", "/api/v1/callbacks/secret", "getCallbackSecret",
              "The secret callbacks are signed with (Standard Webhooks).", W, result="Secret"),
    Operation("post", "/hooks/{hook_id}", "receiveHook",
              "An inbound delivery, verified by the hook's mode, then templated into a post.",
              None, "any", 201, "HookResult", HOOK_ID),
)  # fmt: skip

IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "The same key and body within 24 h return the first response; "
                   "the same key with another body is a 409. A create whose answer shows a "
                   "secret is not replayed: its replay is a 409 `secret_not_replayed` with "
                   "the id of what was made in `error.resource_id`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}  # fmt: skip


def _body(op: Operation) -> dict[str, Any]:
    if op.body == "multipart":
        schema: dict[str, Any] = {"type": "object", "required": ["file"],
                  "properties": {"file": {"type": "string", "format": "binary"}}}  # fmt: skip
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    plain: dict[str, Any] = {} if op.body == "any" else ref(str(op.body))
    return {"required": True, "content": {"application/json": {"schema": plain}}}


def _responses(op: Operation) -> dict[str, Any]:
    if op.operation_id == "getOpenApi":
        return {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        }
    ok: dict[str, Any] = {"description": "OK"}
    if op.result:
        ok["content"] = {"application/json": {"schema": ref(op.result)}}
    out: dict[str, Any] = {str(op.ok): ok}
    if op.operation_id == "receiveHook":
        out["200"] = {
            "description": "A redelivery or an ignored event; nothing new stored.",
            "content": {"application/json": {"schema": ref("HookResult")}},
        }
    if op.operation_id == "createPost":
        out["200"] = {
            "description": "`dry_run`: the preview per destination; nothing stored.",
            "content": {"application/json": {"schema": ref("PostPreview")}},
        }
    for status in ERROR_STATUSES:
        out[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return out  # fmt: skip


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": _responses(op),
    }
    params = list(op.params)
    if op.method != "get" and op.scope is not None:
        params.append(IDEMPOTENCY_HEADER)
    if params:
        out["parameters"] = params
    if op.body:
        out["requestBody"] = _body(op)
    if op.scope is None:
        out["security"] = []
    else:
        out["x-required-scope"] = op.scope
    return out


@cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at ``/api/v1/openapi.json``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    error = {"application/json": {"schema": ref("Error")}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Outpost API",
            "version": "1.0.0",
            "description": "Schedule posts, manage inbound hooks, hear back through signed "
            "callbacks. Authenticate with `Authorization: Bearer op_…`.",
        },
        "paths": paths,
        "webhooks": webhooks_section(),
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                f"E{status}": {"description": text, "content": error}
                for status, text in ERROR_STATUSES.items()
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for component ``name``, its references resolved within the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _inline(schema: Any, seen: tuple[str, ...] = ()) -> Any:
    """``schema`` with each ``{"$ref": "#/components/schemas/X"}`` replaced by X itself."""
    if isinstance(schema, list):
        return [_inline(item, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    target = schema.get("$ref")
    if isinstance(target, str) and len(schema) == 1:
        name = target.removeprefix("#/components/schemas/")
        if name in seen:
            raise RecursionError(name)  # a cycle cannot be inlined
        return _inline(SCHEMAS[name], (*seen, name))
    return {key: _inline(value, seen) for key, value in schema.items()}


@cache
def checker(name: str) -> Draft202012Validator | None:
    """A validator for ``name`` with its references inlined (None if they form a cycle): the
    same verdict as ``validator(name)`` without resolving references on each request, which
    was half the cost of checking a valid body."""
    try:
        return Draft202012Validator(_inline(SCHEMAS[name]), format_checker=FormatChecker())
    except RecursionError:
        return None


def problems(name: str, value: Any) -> list[str]:
    """What is wrong with ``value`` as a ``name``, each naming where; empty when valid."""
    quick = checker(name)
    if quick is not None and quick.is_valid(value):
        return []
    # Invalid: the document's own validator words the problems, its paths and all.
    errors = list(validator(name).iter_errors(value))
    if not errors:
        return []
    first = best_match(errors)
    chosen = _flatten(first) + [e for e in errors if e is not first]
    return list(dict.fromkeys(_describe(e) for e in chosen))[:5]


def _flatten(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the errors of the branch the value came closest to."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = min(branches.values(), key=len)
    return [leaf for sub in closest for leaf in _flatten(sub)]


def _describe(error: ValidationError) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"body{where}: {message}"
