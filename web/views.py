"""Month, week and list views of a workspace's posts, in the viewer's time zone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiohttp import web

from core.errors import RequestProblem
from scheduler.calendar import thumbnails, viewer_zone, window
from scheduler.plans import plan_usage
from scheduler.service import Scheduler
from scheduler.slots import open_slots, queued_in
from scheduler.views import POST_STATUSES
from web.grid import LIST_PAGE, MONTH_PER_DAY, WEEK_PER_DAY, by_day, period, weeks, with_slots
from web.pages import error_page, pick_workspace, query, render
from web.session import RUNTIME, session_of

KEPT = ("ws", "view", "month", "date", "status", "account")
MAX_PAGE = 10_000  # a million posts in one month's list; past it, an offset is only a load


def _filters(request: web.Request) -> tuple[list[str], uuid.UUID | None, int]:
    statuses = [s for s in request.query.getall("status", []) if s]
    unknown = [s for s in statuses if s not in POST_STATUSES]
    if unknown:
        raise RequestProblem(
            [f"“{unknown[0]}” is not a status."], "Use one of: " + ", ".join(POST_STATUSES) + "."
        )
    account = request.query.get("account", "")
    try:
        account_id = uuid.UUID(account) if account else None
    except ValueError:
        raise RequestProblem([f"“{account}” is not an account id."]) from None
    page = request.query.get("page", "1")
    if not page.isascii() or not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise RequestProblem([f"“{page[:20]}” is not a page number."], "Use page=1, 2, …")
    return statuses, account_id, int(page)


def _linker(request: web.Request, ws: uuid.UUID) -> Callable[..., str]:
    current = {k: request.query.get(k, "") for k in KEPT}
    current["ws"] = str(ws)

    def here(**changes: str | None) -> str:
        merged: dict[str, str | None] = {**current, **changes}
        return query("/", **merged)

    return here


async def calendar_view(request: web.Request) -> web.Response:
    """``GET /``: the month (default), week or list view."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    ws = pick_workspace(request, session)
    if ws is None:
        return error_page(
            request,
            403,
            "No workspace",
            "You no longer belong to a workspace you logged in to.",
            "Ask the bot for a new link: type `calendar`.",
        )
    tz = viewer_zone(session, ws)
    today = runtime.clock.now().astimezone(ZoneInfo(tz)).date()
    view = request.query.get("view", "month")
    try:
        shown = period(view, request.query.get("month", ""), request.query.get("date", ""), today)
        statuses, account_id, page = _filters(request)
    except RequestProblem as problem:
        return error_page(request, 400, "That page does not exist", problem.message, problem.hint)
    start, end = shown.bounds(tz)
    limit = LIST_PAGE + 1 if view == "list" else None
    items = await window(
        runtime,
        ws.id,
        start,
        end,
        tz,
        per_day={"month": MONTH_PER_DAY, "week": WEEK_PER_DAY}.get(view),
        statuses=statuses,
        account_id=account_id,
        limit=limit,
        offset=(page - 1) * LIST_PAGE,
    )
    # The row past the page only says there is another; a recurring post's occurrences drawn
    # before it stay (the next page starts at that row).
    rows = [i for i in items if not i.virtual]
    more_pages = view == "list" and len(rows) > LIST_PAGE
    if more_pages:
        items = [i for i in items if i is not rows[LIST_PAGE]]
    days = by_day(shown, items)
    queued: set[uuid.UUID] = set()
    if view == "week":
        with_slots(days, await open_slots(runtime, ws.id, start, end, account_id), tz)
        queued = await queued_in(runtime, ws.id, start, end)
    return render(
        request,
        "calendar.html",
        workspace=ws,
        view=view,
        period=shown,
        tz=tz,
        today=today,
        days=days,
        weeks=weeks(days),
        items=items,
        thumbs=await thumbnails(runtime, items),
        accounts=await runtime.workspaces.accounts(ws.id),
        statuses=POST_STATUSES,
        chosen_statuses=statuses,
        chosen_account=str(account_id or ""),
        page=page,
        more_pages=more_pages,
        here=_linker(request, ws.id),
        queued=queued,
        usage=await plan_usage(runtime, ws.id),
        drafts=await Scheduler(runtime).list(
            ws.id, statuses=("pending_approval", "draft"), limit=50
        ),
    )
