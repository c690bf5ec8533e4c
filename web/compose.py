"""The compose box: the bots' request line, a preview of how it was understood, media uploads.

Uploads stream part by part to a temporary file under ``DATA_DIR/uploads`` and go through
``ingest_path`` in ``scheduler.media.ingest``; nothing is read whole into memory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from aiohttp import BodyPartReader, web

from core.errors import Conflict, LimitReached, NotFound, RequestProblem
from scheduler.calendar import viewer_zone
from scheduler.drafts import draft_may_lack
from scheduler.media.fit import NeedsConversion
from scheduler.media.ingest import MAX_UPLOAD_BYTES, ingest_path
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.views import MediaView, SessionInfo, WorkspaceView
from web.compose_state import blank_form
from web.csrf import MULTIPART_KEY
from web.pages import error_page, pick_workspace, redirect, render, visible
from web.posts import session_role
from web.session import RUNTIME, session_of

MAX_FILES = 10
CHUNK = 64 * 1024
FIELD_LIMIT = 256 * 1024


class Upload:
    """What a compose form carried: fields, and temp files to ingest and then delete."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.files: list[tuple[Path, str]] = []

    def first(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]

    def discard(self) -> None:
        for path, _ in self.files:
            with suppress(OSError):
                path.unlink()


def _spool(runtime: Runtime) -> IO[bytes]:
    folder = runtime.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=folder, prefix="up-", delete=False)


async def _save_part(runtime: Runtime, part: BodyPartReader) -> Path:
    handle = await asyncio.to_thread(_spool, runtime)
    size = 0
    try:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise RequestProblem(
                    [f"{part.filename} is larger than {MAX_UPLOAD_BYTES >> 20} MB."],
                    "Send a smaller file.",
                )
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        handle.close()
        os.unlink(handle.name)
        raise
    handle.close()
    return Path(handle.name)


async def _field(part: BodyPartReader) -> str:
    """A text field, refused past ``FIELD_LIMIT`` rather than read whole into memory."""
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data.extend(chunk)
        if len(data) > FIELD_LIMIT:
            raise RequestProblem(
                [f"The field {part.name} is longer than {FIELD_LIMIT >> 10} KB."], "Shorten it."
            )
    return data.decode(part.get_charset("utf-8"), "replace")


async def read_form(request: web.Request, runtime: Runtime) -> Upload:
    """The form's fields and files; ``web.csrf`` has already read and checked its token."""
    upload = Upload()
    reader = request.get(MULTIPART_KEY)
    if reader is None and request.content_type.startswith("multipart/"):
        reader = await request.multipart()  # the token came in the X-CSRF-Token header
    if reader is None:
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                upload.fields.setdefault(key, []).append(value)
        return upload
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename:
                if len(upload.files) >= MAX_FILES:
                    raise RequestProblem([f"At most {MAX_FILES} files per post."])
                path = await _save_part(runtime, part)
                if path.stat().st_size:
                    upload.files.append((path, part.filename))
                else:
                    path.unlink()  # an empty file input, not an empty file
            else:
                upload.fields.setdefault(part.name, []).append(await _field(part))
    except BaseException:
        upload.discard()
        raise
    return upload


async def media_of(
    runtime: Runtime, ws: WorkspaceView, user: uuid.UUID | None, upload: Upload
) -> list[MediaView]:
    ids: list[uuid.UUID] = []
    for value in upload.fields.get("media_id", []):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise RequestProblem([f"“{value}” is not a media id."]) from None
    try:
        found = await runtime.library.get_many(ws.id, ids) if ids else []
        # Each attached file's description field ("alt-<id>"), kept across previews.
        media = [replace(m, alt=upload.first(f"alt-{m.id}").strip()) for m in found]
        for path, filename in upload.files:
            media.append(await ingest_path(runtime, ws.id, path, user, filename))
    finally:
        upload.discard()
    return media


async def thumbs_of(runtime: Runtime, media: list[MediaView]) -> dict[uuid.UUID, str]:
    """Signed URLs of the photos, and of the videos' poster frames where there is one."""
    videos = [m.storage_key for m in media if m.content_type.startswith("video/")]
    posters = await runtime.library.posters(videos) if videos else {}
    thumbs: dict[uuid.UUID, str] = {}
    for m in media:
        key = m.storage_key if m.content_type.startswith("image/") else posters.get(m.storage_key)
        if key:
            thumbs[m.id] = await runtime.media.signed_url(key, 3600)
    return thumbs


async def compose_page(request: web.Request) -> web.Response:
    """``GET /compose``."""
    session = session_of(request)
    ws = pick_workspace(request, session)
    if ws is None:
        return error_page(request, 403, "No workspace", "You have no workspace to post to.")
    form = await blank_form(request.app[RUNTIME], ws)
    return render(request, "compose.html", workspace=ws, form=form, **empty_box())


def empty_box() -> dict[str, Any]:
    """The request box as first shown."""
    return {
        "draft": None,
        "problems": [],
        "media": [],
        "thumbs": {},
        "text": "",
        "tz": "",
        "fit": False,
        "can_fit": False,
        "as_draft": False,
    }


def _chosen_workspace(
    request: web.Request, session: SessionInfo, upload: Upload
) -> WorkspaceView | None:
    """The workspace the form names (its ``ws`` field) when this session may see it."""
    asked = upload.first("ws")
    if not asked:
        return pick_workspace(request, session)
    try:
        return visible(session, uuid.UUID(asked))
    except ValueError:
        return None


async def open_form(request: web.Request) -> tuple[Upload, WorkspaceView] | web.Response:
    """A compose form's fields and files, and the workspace it posts to; else the refusal."""
    session = session_of(request)
    try:
        upload = await read_form(request, request.app[RUNTIME])
    except RequestProblem as problem:
        return error_page(request, 413, "Upload refused", problem.message, problem.hint)
    ws = _chosen_workspace(request, session, upload)
    if ws is None:
        upload.discard()
        return error_page(request, 404, "No such workspace", "You cannot post there.")
    return upload, ws


async def compose_submit(request: web.Request) -> web.Response:
    """``POST /compose``: preview (default) or save."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    opened = await open_form(request)
    if isinstance(opened, web.Response):
        return opened
    upload, ws = opened
    tz = viewer_zone(session, ws)
    text = upload.first("request").strip()
    fit = upload.first("fit_media") == "1"
    as_draft = upload.first("as_draft") == "1" or upload.first("action") == "draft"
    scheduler = Scheduler(runtime)
    media: list[MediaView] = []
    can_fit = False
    try:
        media = await media_of(runtime, ws, session.user_id, upload)
        if upload.first("action") in ("save", "draft"):
            post = await scheduler.schedule(
                ws.id,
                text,
                tz=tz,
                user_id=session.user_id,
                media=media,
                origin={"platform": "calendar", "user_name": session.user_name},
                fit_media=fit,
                role=await session_role(request, ws),
                as_draft=as_draft,
            )
            done = {"draft": "drafted", "pending_approval": "waiting-for-approval"}
            return redirect(f"/posts/{post.id}?done={done.get(post.status, 'scheduled')}")
        draft = await scheduler.understand(
            ws.id, text, tz=tz, media=media, fit_media=fit, user_id=session.user_id
        )
        problems = list(draft.problems)
        can_fit = bool(draft.fixable)
        if as_draft:
            problems = [p for p in problems if not draft_may_lack(p)]
        elif draft.parsed.when is None and not problems:
            problems.append("I couldn't find a time.")
        status = 200
    except (RequestProblem, NotFound, Conflict, LimitReached) as problem:
        draft, status = None, 403 if isinstance(problem, LimitReached) else 400
        # A plan's refusal says which plan lifts the limit in its hint: show both.
        problems = getattr(problem, "problems", [str(problem) if isinstance(
            problem, LimitReached) else problem.message])  # fmt: skip
        can_fit = isinstance(problem, NeedsConversion)
    thumbs = await thumbs_of(runtime, media)
    return render(
        request,
        "compose.html",
        status=status,
        workspace=ws,
        form=await blank_form(runtime, ws),
        draft=draft,
        problems=problems,
        media=media,
        thumbs=thumbs,
        text=text,
        tz=tz,
        fit=fit,
        can_fit=can_fit,
        as_draft=as_draft,
    )
