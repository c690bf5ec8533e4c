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
from core.states import HELD_POST_STATUSES, Role
from scheduler import approval, edits
from scheduler.api_tokens import callback_store
from scheduler.drafts import check_zone
from scheduler.edits import Change
from scheduler.media.fetch import ingest_url
from scheduler.media.ingest import ingest_path
from scheduler.roles import check_can_schedule
from scheduler.service import Scheduler
from scheduler.views import MediaView, PostView
from webhooks.errors import ApiError
from webhooks.http import Call, Reply
from webhooks.render import callback_json, media_json, post_json, preview_json
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
    workspace, accounts, listening = await rt.workspaces.with_accounts(call.workspace_id)
    media = await _media(call, body.get("media", []))
    origin = {"platform": "api", "token_id": str(call.token.id) if call.token else None}
    scheduler = Scheduler(rt)
    role, draft = token_role(call), body.get("status") == "draft"
    if body.get("dry_run"):
        return Reply(200, await _dry_run(call, scheduler, media))
    if "request" in body:
        post = await scheduler.schedule(
            workspace.id,
            body["request"],
            tz=check_zone(body.get("timezone", workspace.timezone)),
            media=media,
            origin=origin,
            callback_url=body.get("callback_url"),
            fit_media=body.get("fit_media", False),
            accounts=accounts,
            listening=listening,
            plan=rt.plans.get(workspace.plan),
            role=role,
            as_draft=draft,
        )
    else:
        missing = [f"`{k}` is required (unless `status` is `draft`)."
                   for k in ("when", "destinations") if k not in body and not draft
                   and not (k == "when" and body.get("queue"))]  # fmt: skip
        if missing:
            raise RequestProblem(missing)
        post = await scheduler.schedule_fields(
            workspace.id,
            text=body.get("text", ""),
            variants=body.get("variants"),
            parts=body.get("parts", ()),
            first_comment=body.get("first_comment"),
            when=parse_time(body["when"], "when", rt.clock.now()) if "when" in body else None,
            destinations=body.get("destinations", []),
            tz=workspace.timezone,
            media=media,
            origin=origin,
            callback_url=body.get("callback_url"),
            fit_media=body.get("fit_media", False),
            accounts=accounts,
            listening=listening,
            plan=rt.plans.get(workspace.plan),
            role=role,
            as_draft=draft,
            queued=bool(body.get("queue")),
            evergreen_days=body.get("evergreen_days"),
        )
    return Reply(201, post_json(post))


async def _dry_run(call: Call, scheduler: Scheduler, media: list[MediaView]) -> dict[str, Any]:
    """The preview of a create: checked like one, nothing stored or queued."""
    body, rt = call.body, call.rt
    workspace = await rt.workspaces.by_id(call.workspace_id)
    if "request" in body:
        draft = await scheduler.understand(
            workspace.id, body["request"], tz=check_zone(body.get("timezone", workspace.timezone)),
            media=media, fit_media=body.get("fit_media", False),
        )  # fmt: skip
    else:
        draft = await scheduler.draft_fields(
            workspace.id, text=body.get("text", ""),
            when=parse_time(body["when"], "when", rt.clock.now()) if "when" in body else None,
            destinations=body.get("destinations", []), tz=workspace.timezone, media=media,
            fit_media=body.get("fit_media", False), variants=body.get("variants"),
            as_draft=body.get("status") == "draft", parts=body.get("parts", ()),
            first_comment=body.get("first_comment"),
        )  # fmt: skip
    return preview_json(edits.preview_of(scheduler, draft))


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
    text = query.get("q", "").strip()
    cursor = query.get("cursor") or None
    if len(text) > 200 or (cursor is not None and len(cursor) > 200):
        raise RequestProblem(["query `q` and `cursor` take at most 200 characters."])
    if offset and cursor:
        raise RequestProblem(["Give `cursor` or `offset`, not both."])
    scheduler = Scheduler(call.rt)
    if offset:
        posts = await call.rt.posts.search(
            call.workspace_id, start, end, statuses, limit, offset, text=text or None
        )
        next_offset, next_cursor = (offset + limit if len(posts) == limit else None), None
    else:
        posts, next_cursor = await edits.page(
            scheduler, call.workspace_id, start=start, end=end, statuses=statuses, text=text,
            cursor=cursor, limit=limit,
        )  # fmt: skip
        next_offset = limit if next_cursor is not None and cursor is None else None
    return Reply(200, {"items": [post_json(p) for p in posts], "next_offset": next_offset,
                       "next_cursor": next_cursor})  # fmt: skip


def _post_reply(post: PostView) -> Reply:
    """A post, with its revision as the ETag an edit sends back in If-Match."""
    return Reply(200, post_json(post), {"ETag": f'"{post.revision}"'})


async def get_post(call: Call) -> Reply:
    """One post."""
    post = await Scheduler(call.rt).get(call.workspace_id, call.path_id("post_id"))
    return _post_reply(post)


async def edit_post(call: Call) -> Reply:
    """Change a post's text, time, accounts or files (or preview the change); a draft is
    scheduled by ``scheduled_at``."""
    body, rt = call.body, call.rt
    post_id = call.path_id("post_id")
    role = token_role(call)
    scheduler = Scheduler(rt)
    if "scheduled_at" in body:
        # A draft given a time is scheduled, or waits for approval (``scheduler.approval``).
        post = None
        if "text" in body:
            post = await scheduler.edit(call.workspace_id, post_id, body["text"], role=role)
        when = parse_time(body["scheduled_at"], "scheduled_at", rt.clock.now())
        post = await scheduler.reschedule(call.workspace_id, post_id, when, role=role)
        return _post_reply(post)
    change = Change(
        text=body.get("text"),
        when=parse_time(body["when"], "when", rt.clock.now()) if "when" in body else None,
        destinations=body.get("destinations"),
        media=await _media(call, body["media"]) if "media" in body else None,
        revision=call.revision(),
        variants=body.get("variants"),
        parts=body.get("parts"),
        first_comment=body.get("first_comment"),
    )
    if body.get("dry_run"):
        preview = await edits.preview_change(scheduler, call.workspace_id, post_id, change)
        return Reply(200, preview_json(preview))
    check_can_schedule(role)
    if set(body) == {"text"} and change.revision is None:
        # A text change alone may send an approved post back for approval (``Scheduler.edit``).
        return _post_reply(
            await scheduler.edit(call.workspace_id, post_id, body["text"], role=role)
        )
    return _post_reply(await edits.revise(scheduler, call.workspace_id, post_id, change))


async def reschedule_post(call: Call) -> Reply:
    """Move a scheduled post (or schedule a draft)."""
    when = parse_time(call.body["when"], "when", call.rt.clock.now())
    scheduler, post_id = Scheduler(call.rt), call.path_id("post_id")
    current = await scheduler.get(call.workspace_id, post_id)
    if current.status in HELD_POST_STATUSES:
        post = await scheduler.reschedule(call.workspace_id, post_id, when, role=token_role(call))
        return _post_reply(post)
    check_can_schedule(token_role(call))
    post = await edits.revise(scheduler, call.workspace_id, post_id,
                              Change(when=when, revision=call.revision()))  # fmt: skip
    return _post_reply(post)


async def publish_now(call: Call) -> Reply:
    """Publish a scheduled post now."""
    check_can_schedule(token_role(call))
    post = await edits.publish_now(Scheduler(call.rt), call.workspace_id,
                                   call.path_id("post_id"), call.revision())  # fmt: skip
    return _post_reply(post)


async def media_from_url(call: Call) -> Reply:
    """Fetch a file from a public URL and store it like an upload."""
    call.check_url("url", call.body["url"])
    media = await ingest_url(call.rt, call.workspace_id, call.body["url"])
    return Reply(201, media_json(media))


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
