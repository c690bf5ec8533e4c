"""The settings page's queue section: slots per account or workspace, pulling forward."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from core.errors import Conflict, RequestProblem
from scheduler.roles import role_of
from scheduler.runtime import Runtime
from scheduler.slots import CLEAR_WORDS, parse_slots, set_pull_forward, set_slots, slot_lines
from web.pages import error_page, redirect, visible
from web.session import RUNTIME, session_of


async def queue_context(runtime: Runtime, workspace_id: uuid.UUID) -> dict[str, Any]:
    """What the settings page shows of the queue."""
    zone, lines = await slot_lines(runtime, workspace_id)
    _, _, pull = await runtime.slots.slots(workspace_id)
    accounts = [a for a in await runtime.workspaces.accounts(workspace_id) if a.status == "active"]
    return {"slot_zone": zone, "slot_lines": lines, "pull_forward": pull,
            "slot_accounts": accounts}  # fmt: skip


async def save_slots(request: web.Request) -> web.Response:
    """``POST /settings/slots``: replace one account's (or the workspace's) slots, or turn
    pulling forward on or off; owners and admins only."""
    runtime = request.app[RUNTIME]
    session = session_of(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        ws = visible(session, uuid.UUID(form.get("ws", "")))
        account = uuid.UUID(form["account"]) if form.get("account") else None
    except ValueError:
        ws = None
    if ws is None:
        return error_page(request, 404, "No such workspace", "You cannot change that workspace.")
    if account is not None and account not in {
        a.id for a in await runtime.workspaces.accounts(ws.id)
    }:
        return error_page(request, 404, "No such account", "That account is not this workspace's.")
    role = await role_of(runtime, ws.id, session.user_id)
    try:
        if "pull_forward" in form:
            await set_pull_forward(runtime, ws.id, role, form["pull_forward"] == "on")
            return redirect(f"/settings?ws={ws.id}&done=queue-saved")
        spec = form.get("slots", "").strip()
        slots = [] if spec.lower() in CLEAR_WORDS or not spec else parse_slots(spec)
        await set_slots(runtime, ws.id, role, [account], slots)
    except (RequestProblem, Conflict) as exc:
        return error_page(request, 422, "Slots not saved", exc.message, exc.hint)
    return redirect(f"/settings?ws={ws.id}&done=slots-saved")
