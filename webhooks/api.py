"""Posts and media: create (from a sentence or fields), list, get, edit, reschedule, cancel,
retry, the callback log, and streaming uploads."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader
from aiohttp.http_exceptions import HttpProcessingError

from core.errors import NotFound, RequestProblem
from core.limits import MAX_AHEAD_WORDS, too_far_ahead
from core.states import Role
from scheduler import approval
from scheduler.api_tokens import callback_store
from scheduler.media.ingest import ingest_path
from scheduler.service import Scheduler, check_zone
from scheduler.views import MediaView
from webhooks.errors import ApiError
from webhooks.http import Call, Reply
from webhooks.render import callback_json, media_json, post_json
from webhooks.schemas import POST_STATUSES

CHUNK = 256 * 1024


def parse_time(value: str, name: str, now: datetime) -> datetime:
    """An RFC 3339 time with an offset; 422 naming ``name`` otherwise."""
    example = "e.g. 2026-12-03T10:30:00+01:00"
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise RequestProblem([f"`{name}` is not an ISO-8601 time ({example})."]) from None
    if moment.tzinfo is None:
        raise RequestProblem([f"`{name}` needs a time zone offset ({example})."])
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise RequestProblem([f"`{name}` is out of range."]) from None
    if too_far_ahead(moment, now):
        raise RequestProblem([f"`{name}` is more than {MAX_AHEAD_WORDS} ahead."])
    return moment


async def _media(call: Call, items: list[str | dict[str, str]]) -> list[MediaView]:
    """The files by id, each with the description (``alt``) given with it."""
    if not items:
        return []
    pairs = [(i, "") if isinstance(i, str) else (i["id"], i.get("alt", "")) for i in items]
    try:
        found = await call.rt.library.get_many(call.workspace_id, [uuid.UUID(i) for i, _ in pairs])
    except NotFound as exc:
        raise RequestProblem([exc.message], "Upload files with POST /api/v1/media first.") from None
    return [replace(m, alt=alt.strip()) for m, (_, alt) in zip(found, pairs, strict=True)]


async def create_post(call: Call) -> Reply:
    """Schedule from ``request`` (the chat grammar) or from ``text``/``when``/``destinations``."""
    body: dict[str, Any] = call.body
    rt = call.rt
    call.check_url("callback_url", body.get("callback_url"))
    workspace = await rt.workspaces.by_id(call.workspace_id)
    media = await _media(call, body.get("media", []))
    origin = {"platform": "api", "token_id": str(call.token.id) if call.token else None}
    scheduler = Scheduler(rt)
    role, draft = token_role(call), body.get("status") == "draft"
    if "request" in body:
        post = await scheduler.schedule(
            workspace.id,
            body["request"],
            tz=check_zone(body.get("timezone", workspace.timezone)),
            media=media,
            origin=origin,
            callback_url=body.get("callback_url"),
            fit_media=body.get("fit_media", False),
            role=role,
            as_draft=draft,
        )
    else:
        missing = [f"`{k}` is required (unless `status` is `draft`)."
                   for k in ("when", "destinations") if k not in body and not draft]  # fmt: skip
        if missing:
            raise RequestProblem(missing)
        post = await scheduler.schedule_fields(
            workspace.id,
            text=body["text"],
            when=parse_time(body["when"], "when", rt.clock.now()) if "when" in body else None,
            destinations=body.get("destinations", []),
            tz=workspace.timezone,
            media=media,
            origin=origin,
            callback_url=body.get("callback_url"),
            fit_media=body.get("fit_media", False),
            role=role,
            as_draft=draft,
        )
    return Reply(201, post_json(post))


def token_role(call: Call) -> Role:
    """A token with the ``approve`` scope acts as an admin; any other as an editor."""
    if call.token is not None and "approve" in call.token.scopes:
        return Role.ADMIN
    return Role.EDITOR


def _actor(call: Call) -> str:
    return f"API token {call.token.name}" if call.token is not None else "API"


def _int(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = call.request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise RequestProblem([f"query `{name}` must be an integer from {low} to {high}."])
    return value


async def list_posts(call: Call) -> Reply:
    """A page of posts in the window, oldest due first; ``next_offset`` fetches the next."""
    query = call.request.query
    now = call.rt.clock.now()
    start = parse_time(query["start"], "start", now) if "start" in query else None
    end = parse_time(query["end"], "end", now) if "end" in query else None
    statuses = query.getall("status", [])
    unknown = [s for s in statuses if s not in POST_STATUSES]
    if unknown:
        raise RequestProblem(
            [f"query `status` {s!r} is not one of {', '.join(POST_STATUSES)}." for s in unknown]
        )
    limit = _int(call, "limit", 50, 1, 200)
    offset = _int(call, "offset", 0, 0, 1_000_000)
    posts = await Scheduler(call.rt).list(
        call.workspace_id, start=start, end=end, statuses=statuses, limit=limit, offset=offset
    )
    next_offset = offset + limit if len(posts) == limit else None
    return Reply(200, {"items": [post_json(p) for p in posts], "next_offset": next_offset})


async def get_post(call: Call) -> Reply:
    """One post."""
    post = await Scheduler(call.rt).get(call.workspace_id, call.path_id("post_id"))
    return Reply(200, post_json(post))


async def edit_post(call: Call) -> Reply:
    """Change a post's text and/or time (``scheduled_at`` schedules a draft)."""
    scheduler, post_id = Scheduler(call.rt), call.path_id("post_id")
    post = None
    if "text" in call.body:
        post = await scheduler.edit(
            call.workspace_id, post_id, call.body["text"], role=token_role(call)
        )
    if "scheduled_at" in call.body:
        when = parse_time(call.body["scheduled_at"], "scheduled_at", call.rt.clock.now())
        post = await scheduler.reschedule(call.workspace_id, post_id, when, role=token_role(call))
    assert post is not None  # the schema asks for one of them
    return Reply(200, post_json(post))


async def reschedule_post(call: Call) -> Reply:
    """Move a scheduled post (or schedule a draft)."""
    when = parse_time(call.body["when"], "when", call.rt.clock.now())
    post = await Scheduler(call.rt).reschedule(
        call.workspace_id, call.path_id("post_id"), when, role=token_role(call)
    )
    return Reply(200, post_json(post))


async def approve_post(call: Call) -> Reply:
    """Approve a waiting post (the token has the ``approve`` scope)."""
    body: dict[str, Any] = call.body or {}
    when = parse_time(body["when"], "when", call.rt.clock.now()) if "when" in body else None
    post = await approval.approve(
        call.rt, call.workspace_id, call.path_id("post_id"), role=token_role(call),
        user_id=None, actor=_actor(call), when=when,
    )  # fmt: skip
    return Reply(200, post_json(post))


async def reject_post(call: Call) -> Reply:
    """Reject a waiting post with a reason."""
    post = await approval.reject(
        call.rt, call.workspace_id, call.path_id("post_id"), role=token_role(call),
        user_id=None, actor=_actor(call), reason=call.body["reason"],
    )  # fmt: skip
    return Reply(200, post_json(post))


async def cancel_post(call: Call) -> Reply:
    """Cancel a scheduled post."""
    post = await Scheduler(call.rt).cancel(call.workspace_id, call.path_id("post_id"))
    return Reply(200, post_json(post))


async def retry_post(call: Call) -> Reply:
    """Retry a post's failed destinations."""
    post = await Scheduler(call.rt).retry(call.workspace_id, call.path_id("post_id"))
    return Reply(200, post_json(post))


async def post_callbacks(call: Call) -> Reply:
    """The post's callback delivery log."""
    post = await Scheduler(call.rt).get(call.workspace_id, call.path_id("post_id"))
    items = await callback_store(call.rt).for_post(call.workspace_id, post.id)
    return Reply(200, {"items": [callback_json(c) for c in items]})


async def _save_part(part: BodyPartReader, path: Path, limit: int) -> int:
    size = 0
    handle = await asyncio.to_thread(path.open, "wb")
    try:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large",
                               f"The file is larger than {limit >> 20} MB.")  # fmt: skip
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return size


async def upload_media(call: Call) -> Reply:
    """Stream the ``file`` part to a temporary file, then store it once per workspace."""
    request, limit = call.request, call.config.media_limit
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "not_multipart", "Send multipart/form-data with a part named `file`.")
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise ApiError(413, "too_large", f"The file is larger than {limit >> 20} MB.")
    folder = call.rt.settings.data_dir / "tmp"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    path = folder / f"upload-{uuid.uuid4().hex}"
    try:
        filename = await _receive(call, path, limit)
        media = await ingest_path(call.rt, call.workspace_id, path, filename=filename)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
    reply = Reply(201, media_json(media))

    async def done() -> Reply:
        """The answer already computed."""
        return reply

    return await call.idempotent(f"media:{media.sha256}:{filename}", done)


async def _receive(call: Call, path: Path, limit: int) -> str:
    try:
        reader = await call.request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file":
                await _save_part(part, path, limit)
                return (part.filename or "upload")[:255]
            await part.release()
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError) as exc:
        raise ApiError(400, "bad_multipart", f"The multipart body is malformed: {exc}.") from None
    raise RequestProblem(["No part named `file` in the upload."], "curl -F file=@photo.jpg …")
