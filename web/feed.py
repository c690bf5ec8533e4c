"""The iCal feed per workspace (secret, revocable URL) and the settings page that rotates it,
lists the workspace's API tokens (agents' included) and revokes them, and, for owners and
admins, invites people by e-mail."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from aiohttp import web

from core.errors import NotFound, OutpostError
from scheduler.api_tokens import api_store, revoke_token
from scheduler.calendar import feed_items, feed_key, feed_workspace, rotate_feed_key
from scheduler.recurrence_words import describe
from scheduler.signin import ROLES, invite, is_admin, pending_invitations
from scheduler.views import CalendarItem, PostView
from web.pages import STATUS_WORDS, error_page, pick_workspace, redirect, render, visible
from web.queue import queue_context
from web.session import RUNTIME, session_of
from web.vtimezone import tzid, vtimezone, zone_of

# How far ahead a VTIMEZONE spells out its offset changes: the calendar's own horizon.
VTIMEZONE_SPAN = timedelta(days=3660)


def escape(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def _local(value: datetime, zone: str) -> str:
    return value.astimezone(zone_of(zone)).strftime("%Y%m%dT%H%M%S")


def series_event(head: PostView, base_url: str, now: datetime) -> list[str]:
    """One VEVENT for a whole recurring series: its rule and skipped occurrences, in the
    post's zone (BYHOUR is a local hour), from its next occurrence on."""
    start = head.scheduled_at.replace(microsecond=0)
    networks = ", ".join(sorted({d.platform for d in head.destinations}))
    words = describe(head.recurrence or "", start.astimezone(zone_of(head.timezone)))
    summary = f"Repeats · {networks or 'no destination'} · {head.content[:60]}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{head.series_id or head.id}-series@outpost",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART;TZID={tzid(head.timezone)}:{_local(start, head.timezone)}",
        "DURATION:PT15M",
        f"RRULE:{head.recurrence}",
    ]
    skipped = sorted(x for x in head.exdates if x >= start)
    if skipped:
        dates = ",".join(_local(x, head.timezone) for x in skipped)
        lines.append(f"EXDATE;TZID={tzid(head.timezone)}:{dates}")
    return [
        *lines,
        f"SUMMARY:{escape(summary)}",
        f"DESCRIPTION:{escape(head.content + chr(10) + chr(10) + words)}",
        f"URL:{base_url}/posts/{head.id}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
    ]


def ics(
    name: str,
    items: Iterable[CalendarItem],
    base_url: str,
    now: datetime,
    series: Mapping[uuid.UUID, PostView] | None = None,
) -> str:
    """A VCALENDAR with one 15-minute VEVENT per post, times in UTC, and one per recurring
    series (``series``: live rows by id) with its RRULE and EXDATE in the post's zone."""
    series = series or {}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Outpost//Calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape('Outpost: ' + name)}",
    ]
    for zone in sorted({h.timezone for h in series.values()}):
        begins = min(h.scheduled_at for h in series.values() if h.timezone == zone)
        lines += vtimezone(zone, begins, begins + VTIMEZONE_SPAN)
    for item in items:
        if item.id in series:
            continue  # drawn by its series' event
        networks = ", ".join(sorted({p for p, _, _ in item.destinations}))
        word = STATUS_WORDS.get(item.status, item.status)
        summary = f"{word} · {networks or 'no destination'} · {item.head[:60]}"
        detail = "\n".join(
            [item.head, ""]
            + [f"{p} {h}: {STATUS_WORDS.get(s, s)}" for p, h, s in item.destinations]
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.id}@outpost",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(item.scheduled_at)}",
            "DURATION:PT15M",
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(detail)}",
            f"URL:{base_url}/posts/{item.id}",
            f"STATUS:{'CANCELLED' if item.status == 'cancelled' else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    for head in series.values():
        lines += series_event(head, base_url, now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


async def feed(request: web.Request) -> web.Response:
    """``GET /calendar.ics?key=…``."""
    runtime = request.app[RUNTIME]
    workspace_id = await feed_workspace(runtime, request.query.get("key", ""))
    if workspace_id is None:
        return web.Response(
            status=404,
            text="This calendar feed does not exist or was revoked; copy the new URL from "
            "the calendar's settings page.",
        )
    ws = await runtime.workspaces.by_id(workspace_id)
    items, series = await feed_items(runtime, workspace_id)
    body = ics(ws.name, items, runtime.settings.base_url, runtime.clock.now(), series)
    return web.Response(
        body=body.encode(),
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, max-age=300",
        },
    )


async def settings_page(request: web.Request) -> web.Response:
    """``GET /settings``: the feed URL and the button that revokes it."""
    runtime = request.app[RUNTIME]
    ws = pick_workspace(request, session_of(request))
    if ws is None:
        return error_page(request, 403, "No workspace", "You have no workspace.")
    key = await feed_key(runtime, ws.id)
    url = f"{runtime.settings.base_url}/calendar.ics?key={key}"
    tokens = await api_store(runtime).tokens(ws.id)
    now = runtime.clock.now()
    rows = [
        {
            "token": t,
            "state": "revoked" if t.revoked_at else "expired" if t.expired(now) else "active",
        }
        for t in reversed(tokens)
    ]
    admin = await is_admin(runtime, ws.id, session_of(request).user_id)
    return render(
        request, "settings.html", workspace=ws, feed_url=url, tokens=rows, admin=admin,
        roles=ROLES, invites=await pending_invitations(runtime, ws.id) if admin else [],
        can_invite=runtime.supabase_auth is not None, **await queue_context(runtime, ws.id),
    )  # fmt: skip


async def revoke(request: web.Request) -> web.Response:
    """``POST /settings/tokens/{token_id}/revoke``: the token stops working at once."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    form = await request.post()
    try:
        ws = visible(session, uuid.UUID(str(form.get("ws", ""))))
        token_id = uuid.UUID(request.match_info["token_id"])
    except ValueError:
        ws = None
    if ws is None:
        return error_page(request, 404, "No such workspace", "You cannot change that workspace.")
    if not await is_admin(runtime, ws.id, session.user_id):
        return error_page(request, 403, "Not allowed", "Only owners and admins revoke tokens.")
    try:
        await revoke_token(runtime, ws.id, token_id)
    except NotFound:
        return error_page(request, 404, "No such token", "That token is not this workspace's.")
    return redirect(f"/settings?ws={ws.id}&done=token-revoked")


async def invite_member(request: web.Request) -> web.Response:
    """``POST /settings/invite``: an owner or admin invites an e-mail address."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    form = await request.post()
    try:
        ws = visible(session, uuid.UUID(str(form.get("ws", ""))))
    except ValueError:
        ws = None
    if ws is None or session.user_id is None:
        return error_page(request, 404, "No such workspace", "You cannot change that workspace.")
    try:
        await invite(
            runtime, ws.id, session.user_id, str(form.get("email", "")), str(form.get("role", ""))
        )
    except OutpostError as exc:
        return error_page(request, 422, "Not invited", exc.message, exc.hint)
    return redirect(f"/settings?ws={ws.id}&done=invited")


async def rotate(request: web.Request) -> web.Response:
    """``POST /settings/feed``: a new feed URL; the old one stops working at once."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    form = await request.post()
    try:
        ws = visible(session, uuid.UUID(str(form.get("ws", ""))))
    except ValueError:
        ws = None
    if ws is None:
        return error_page(request, 404, "No such workspace", "You cannot change that workspace.")
    await rotate_feed_key(runtime, ws.id)
    return redirect(f"/settings?ws={ws.id}&done=feed-rotated")
