"""The queue over the API: slots, moving a queued post, stopping an evergreen one."""

from __future__ import annotations

from datetime import time
from typing import Any

from core.slots import Slot, slots_for
from core.states import Role
from scheduler.reorder import stop_evergreen as stop
from scheduler.service import Scheduler
from scheduler.slots import named_accounts, next_free_slot, set_pull_forward, set_slots
from webhooks.api import token_role
from webhooks.http import Call, Reply
from webhooks.render import iso, post_json


def _slot_json(slot: Slot) -> dict[str, Any]:
    account = str(slot.account_id) if slot.account_id else None
    return {"account_id": account, "weekday": slot.weekday, "time": f"{slot.at:%H:%M}"}


async def _slots(call: Call, account: str | None) -> dict[str, Any]:
    rt, ws = call.rt, call.workspace_id
    slots, zone, pull = await rt.slots.slots(ws)
    out: dict[str, Any] = {"timezone": zone.key, "pull_forward": pull, "next_free": None}
    if account:
        ids = [a.id for a in await named_accounts(rt, ws, [account])]
        slots = sorted({s for a in ids for s in slots_for(a, slots)})
        found = await next_free_slot(rt, ws, ids, rt.clock.now())
        out["next_free"] = iso(found) if found else None
    out["items"] = [_slot_json(s) for s in sorted(slots, key=lambda s: (s.weekday, s.at))]
    return out


async def list_slots(call: Call) -> Reply:
    """The queue's slots and settings; with ``account``, the slots it uses."""
    return Reply(200, await _slots(call, call.request.query.get("account")))


async def put_slots(call: Call) -> Reply:
    """Replace one account's (or the workspace's) slots. A token with the ``write`` scope
    manages the workspace's settings, as it does its tokens and endpoints."""
    body, rt, ws = call.body, call.rt, call.workspace_id
    account = body.get("account")
    chosen = await named_accounts(rt, ws, [account]) if account else []
    slots = [Slot(s["weekday"], time.fromisoformat(s["time"].zfill(5))) for s in body["slots"]]
    await set_slots(rt, ws, Role.ADMIN, [a.id for a in chosen] or [None], slots)
    if "pull_forward" in body:
        await set_pull_forward(rt, ws, Role.ADMIN, bool(body["pull_forward"]))
    return Reply(200, await _slots(call, account))


async def move_post(call: Call) -> Reply:
    """Swap a queued post with its neighbour in the queue."""
    moved, swapped = await Scheduler(call.rt).move(
        call.workspace_id, call.path_id("post_id"), call.body["direction"], role=token_role(call)
    )
    return Reply(200, {"moved": post_json(moved), "swapped": post_json(swapped)})


async def stop_evergreen(call: Call) -> Reply:
    """Stop an evergreen post coming back."""
    return Reply(200, post_json(await stop(call.rt, call.workspace_id, call.path_id("post_id"))))
