"""The compose form: accounts to tick, a date and time (or the next free slot), the text with
each network's count, a version per network, a first comment, media with alt text, and a
preview of every destination. It schedules through ``Scheduler.schedule_fields``, with the same
role, approval and plan checks as the request box beside it.

Without JavaScript every part still works: versions show as plain text boxes and the counts
come with the preview; ``static/compose.js`` adds the tabs and counts as one types, from
``POST /compose/count`` (the publishers' own counting, never redone in the browser).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from core.errors import Conflict, LimitReached, NotFound, RequestProblem
from scheduler.counts import text_counts
from scheduler.edits import preview_of
from scheduler.media.fit import NeedsConversion
from scheduler.service import Scheduler
from web.compose import empty_box, media_of, open_form, thumbs_of
from web.compose_state import (
    ACCOUNTS,
    GENERAL,
    WHEN,
    FormState,
    blank_form,
    complain,
    fill,
    place,
    sort_problems,
)
from web.pages import redirect, render, visible
from web.posts import local_time, session_role, within_horizon
from web.session import RUNTIME, session_of

COUNT_TEXT_LIMIT = 100_000
FIT_HINT = "Tick “Convert photos to fit each network” to let Outpost convert them."


def _when(state: FormState, now: datetime, as_draft: bool) -> datetime | None:
    if state.timing == "slot":
        return None
    if not state.when:
        if not as_draft:
            complain(state, WHEN, "Pick a date and time, or choose “Next free slot”.")
        return None
    try:
        return within_horizon(local_time(state.when, state.tz), now)
    except RequestProblem as problem:
        complain(state, WHEN, f"{problem.message} {problem.hint}".strip())
        return None


async def form_submit(request: web.Request) -> web.Response:
    """``POST /compose/form``: preview (default), schedule, or save as a draft."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    opened = await open_form(request)
    if isinstance(opened, web.Response):
        return opened
    upload, ws = opened
    state = await blank_form(runtime, ws)
    fill(state, upload)
    action = upload.first("action")
    as_draft = action == "draft"
    chosen = [a for a in state.accounts if str(a.id) in state.checked and a.status == "active"]
    if not chosen and not as_draft:
        complain(state, ACCOUNTS, "Tick at least one account to post to.")
    when = _when(state, runtime.clock.now(), as_draft)
    scheduler = Scheduler(runtime)
    role = await session_role(request, ws)
    status = 200
    fields: dict[str, Any] = {
        "text": state.text, "when": when, "tz": state.tz, "user_id": session.user_id,
        "destinations": [f"{a.platform}:{a.handle}" for a in chosen],
        "fit_media": state.fit, "accounts": state.accounts, "role": role,
        "as_draft": as_draft, "variants": state.picked_variants,
        "first_comment": state.first_comment or None,
        "queued": state.timing == "slot" and not as_draft,
    }  # fmt: skip
    try:
        state.media = await media_of(runtime, ws, session.user_id, upload)
        fields["media"] = state.media
        draft = await scheduler.draft_fields(ws.id, **fields)
        state.preview = preview_of(scheduler, draft)
        sort_problems(state, state.preview, timeless=as_draft or fields["queued"])
        if action in ("schedule", "draft") and not state.has_problems:
            origin = {"platform": "calendar", "user_name": session.user_name}
            post = await scheduler.schedule_fields(ws.id, origin=origin, **fields)
            done = {"draft": "drafted", "pending_approval": "waiting-for-approval"}
            return redirect(f"/posts/{post.id}?done={done.get(post.status, 'scheduled')}")
        if draft.fixable:
            complain(state, GENERAL, FIT_HINT)
    except (RequestProblem, NotFound, Conflict, LimitReached) as problem:
        status = 403 if isinstance(problem, LimitReached) else 400
        for line in getattr(problem, "problems", [str(problem)]):
            place(state, line)
        if isinstance(problem, NeedsConversion):
            complain(state, GENERAL, FIT_HINT)
        if not state.has_problems:  # only words the form replaces: say it as it was said
            complain(state, GENERAL, str(problem))
    if state.has_problems and action in ("schedule", "draft"):
        status = max(status, 400)
    picked = {a.id for a in state.accounts if str(a.id) in state.checked}
    counts = await text_counts(runtime, ws.id, state.text, picked, state.variants)
    state.counts = {c.platform: c for c in counts}
    state.thumbs = await thumbs_of(runtime, state.media)
    return render(request, "compose.html", status=status, workspace=ws, form=state,
                  **empty_box())  # fmt: skip


async def count(request: web.Request) -> web.Response:
    """``POST /compose/count`` (JSON, CSRF header): each chosen network's count and limit."""
    session = session_of(request)
    try:
        body = await request.json()
        ws = visible(session, uuid.UUID(str(body["ws"])))
        text = str(body.get("text", ""))
        ids = {uuid.UUID(str(i)) for i in body.get("accounts", [])}
        variants = {str(k): str(v) for k, v in dict(body.get("variants") or {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return web.json_response(
            {"error": "Send {ws, text, accounts: [ids], variants: {network: text}}."}, status=400
        )
    if ws is None:
        return web.json_response({"error": "No such workspace."}, status=404)
    if max([len(text), *map(len, variants.values())]) > COUNT_TEXT_LIMIT:
        return web.json_response({"error": "The text is too long to count."}, status=413)
    counts = await text_counts(request.app[RUNTIME], ws.id, text, ids, variants)
    return web.json_response({"counts": [c.to_json() for c in counts]})
