"""A post's page and its actions: reschedule, edit text, cancel, retry failed, post now."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from core.errors import Conflict, NotFound, RequestProblem
from core.limits import MAX_AHEAD_WORDS, too_far_ahead
from core.states import EDITABLE_POST_STATUSES, Role
from scheduler import approval
from scheduler.calendar import attempts, viewer_zone
from scheduler.logins import safe_next
from scheduler.reorder import stop_evergreen
from scheduler.roles import can_approve, can_schedule, check_can_schedule, role_of
from scheduler.service import Scheduler
from scheduler.views import PostView, WorkspaceView
from web import series
from web.pages import error_page, redirect, render, visible
from web.session import RUNTIME, session_of

ACTIONS = ("reschedule", "edit", "cancel", "retry", "now", "approve", "reject", "up", "down",
           "swap", "evergreen", *series.ACTIONS)  # fmt: skip
DONE = {
    "up": "moved-up",
    "swap": "swapped",
    "down": "moved-down",
    "evergreen": "evergreen-stopped",
    "reschedule": "rescheduled",
    "edit": "edited",
    "cancel": "cancelled",
    "retry": "retrying",
    "now": "posting",
    "approve": "approved",
    "reject": "rejected",
    **series.DONE,
}


async def session_role(request: web.Request, ws: WorkspaceView) -> str:
    """The signed-in member's role here (a login link without a member acts as an editor)."""
    session = session_of(request)
    if session.user_id is None:
        return Role.EDITOR
    return await role_of(request.app[RUNTIME], ws.id, session.user_id)


async def _visible_post(request: web.Request) -> tuple[PostView, WorkspaceView] | web.Response:
    """The post when it exists in a workspace this session may see; else a 404 page."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    missing = error_page(request, 404, "No such post", "There is no such post in your workspaces.")
    try:
        post_id = uuid.UUID(request.match_info["post_id"])
        post = await runtime.posts.get(post_id)
    except (ValueError, NotFound):
        return missing
    ws = visible(session, post.workspace_id)
    # Another workspace's post answers exactly like a missing one: no existence oracle.
    return missing if ws is None else (post, ws)


async def _page(
    request: web.Request,
    post: PostView,
    ws: WorkspaceView,
    status: int = 200,
    error: RequestProblem | Conflict | None = None,
) -> web.Response:
    runtime = request.app[RUNTIME]
    tz = viewer_zone(session_of(request), ws)
    grouped = defaultdict(list)
    for attempt in await attempts(runtime, post.id):
        grouped[attempt.destination_id].append(attempt)
    media = [(m, await runtime.media.signed_url(m.storage_key, 3600)) for m in post.media]
    at = series.occurrence(post, request.query.get("at", ""))
    local = (at or post.scheduled_at).astimezone(ZoneInfo(tz))  # back to the month shown
    role = await session_role(request, ws)
    return render(
        request,
        "post.html",
        status=status,
        workspace=ws,
        post=post,
        tz=tz,
        attempts=grouped,
        media=media,
        error=error,
        back=f"/?ws={ws.id}&month={local:%Y-%m}",
        editable=can_schedule(role) and post.status in EDITABLE_POST_STATUSES,
        retryable=can_schedule(role) and post.retryable,
        approvable=can_approve(role) and post.status == "pending_approval",
        approvals=await runtime.approvals.history(post.id),
        role=role,
        **series.context(post, at),
    )


async def post_page(request: web.Request) -> web.Response:
    """``GET /posts/{id}``."""
    found = await _visible_post(request)
    if isinstance(found, web.Response):
        return found
    return await _page(request, *found)


def local_time(value: str, tz: str) -> datetime:
    """A ``datetime-local`` field's value, read in ``tz`` unless it carries an offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RequestProblem(
            [f"“{value}” is not a date and time."], "Use 2026-12-03T10:30."
        ) from None
    return parsed.replace(tzinfo=ZoneInfo(tz)) if parsed.tzinfo is None else parsed


def _parse_when(form: dict[str, str], post: PostView, tz: str) -> datetime:
    """The new time from ``when`` (local date and time) or ``date`` (same local time)."""
    zone = ZoneInfo(tz)
    if form.get("when"):
        return local_time(form["when"], tz)
    if form.get("date"):
        try:
            day = date.fromisoformat(form["date"])
        except ValueError:
            raise RequestProblem([f"“{form['date']}” is not a date."], "Use 2026-12-03.") from None
        local = post.scheduled_at.astimezone(zone)
        return datetime.combine(day, local.time(), tzinfo=zone)
    raise RequestProblem(["Pick the new date and time."], "Use 2026-12-03T10:30.")


def _when(form: dict[str, str], post: PostView, tz: str, now: datetime) -> datetime:
    """The new time, within the horizon every entry point shares (``core.limits``)."""
    return within_horizon(_parse_when(form, post, tz), now)


def within_horizon(when: datetime, now: datetime) -> datetime:
    """``when``, unless it lies past the horizon every entry point shares (``core.limits``)."""
    try:
        beyond = too_far_ahead(when, now)
    except OverflowError:  # year 9999 in a zone east of UTC lies past datetime's range
        beyond = True
    if beyond:
        raise RequestProblem(
            [f"That is more than {MAX_AHEAD_WORDS} ahead."], "Pick a time within ten years."
        )
    return when


def _post_ref(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise RequestProblem([f"“{value[:40]}” is not a post id."]) from None


async def post_action(request: web.Request) -> web.Response:
    """``POST /posts/{id}/{action}``; errors re-render the page with what is wrong."""
    action = request.match_info["action"]
    found = await _visible_post(request)
    if isinstance(found, web.Response):
        return found
    post, ws = found
    if action not in ACTIONS:
        return error_page(request, 404, "No such action", f"“{action}” is not something I do.")
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    runtime = request.app[RUNTIME]
    scheduler = Scheduler(runtime)
    session = session_of(request)
    tz = viewer_zone(session, ws)
    role = await session_role(request, ws)
    try:
        if action == "approve":
            when = _when(form, post, tz, runtime.clock.now()) if form.get("when") else None
            await approval.approve(runtime, ws.id, post.id, role=role, user_id=session.user_id,
                                   actor=session.user_name or "calendar", when=when)  # fmt: skip
        elif action == "reject":
            await approval.reject(runtime, ws.id, post.id, role=role, user_id=session.user_id,
                                  actor=session.user_name or "calendar",
                                  reason=form.get("reason", ""))  # fmt: skip
        else:
            check_can_schedule(role)  # a viewer changes nothing
        if action == "reschedule":
            await scheduler.reschedule(ws.id, post.id, _when(form, post, tz, runtime.clock.now()),
                                       role=role, user_id=session.user_id)  # fmt: skip
        elif action == "edit":
            text = form.get("text", "").replace("\r\n", "\n")
            if not text.strip():
                raise RequestProblem(["The text is empty."], "Write the post, or cancel it.")
            await scheduler.edit(ws.id, post.id, text, role=role, user_id=session.user_id)
        elif action in series.ACTIONS:
            when = _when(form, post, tz, runtime.clock.now()) if form.get("when") else None
            await series.act(runtime, action, post, form, when, role=role,
                             user_id=session.user_id)  # fmt: skip
        elif action == "cancel":
            await scheduler.cancel(ws.id, post.id)
        elif action == "retry":
            await scheduler.retry(ws.id, post.id)
        elif action == "now":
            await scheduler.post_now(ws.id, post.id, role=role, user_id=session.user_id)
        elif action in ("up", "down"):
            await scheduler.move(ws.id, post.id, action, role=role)
        elif action == "swap":
            await scheduler.swap(ws.id, post.id, _post_ref(form.get("with", "")), role=role)
        elif action == "evergreen":
            await stop_evergreen(runtime, ws.id, post.id)
    except (RequestProblem, Conflict) as problem:
        fresh = await runtime.posts.get(post.id)
        status = 409 if isinstance(problem, Conflict) else 400
        return await _page(request, fresh, ws, status=status, error=problem)
    back = form.get("next")
    target = safe_next(back) if back else f"/posts/{post.id}"
    joiner = "&" if "?" in target else "?"
    return redirect(f"{target}{joiner}done={DONE[action]}")
