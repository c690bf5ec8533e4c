"""Queue slots: set and show a workspace's or an account's weekly posting times, and find the
next free one (``queue to x: …``, the compose box's "next slot" button).

``slots linkedin mon-fri 9:00, 13:00`` sets the named accounts' slots; with no account, the
workspace's (used by every account without its own). Slots are read in the workspace's zone,
safely across daylight-saving changes (``core.slots``). Only owners and admins change them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import Conflict, RequestProblem
from core.i18n import msg
from core.slots import (
    HORIZON,
    Slot,
    day_bounds,
    first_free,
    grouped,
    instants,
    slots_for,
    without_slots,
)
from scheduler.destinations import describe, resolve
from scheduler.reader import ParsedRequest
from scheduler.roles import can_manage_members
from scheduler.runtime import Runtime
from storage.posts import SlotChoice
from storage.views import AccountView, PostView

Busy = tuple[uuid.UUID, datetime]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMED_DAYS = {
    "daily": range(7), "everyday": range(7), "weekdays": range(5), "weekends": range(5, 7),
}  # fmt: skip
_DAY = re.compile(r"^(?P<a>[a-z]{3})[a-z]*(?:-(?P<b>[a-z]{3})[a-z]*)?$")
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")
CLEAR_WORDS = frozenset({"clear", "none", "off"})
EXAMPLE = msg("`slots linkedin mon-fri 9:00, 13:00`")


def _days(word: str) -> list[int] | None:
    if word in _NAMED_DAYS:
        return list(_NAMED_DAYS[word])
    found = _DAY.match(word)
    if not found or found["a"] not in DAYS or (found["b"] and found["b"] not in DAYS):
        return None
    start = DAYS.index(found["a"])
    end = DAYS.index(found["b"]) if found["b"] else start
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]


def _time(word: str) -> time | None:
    found = _TIME.match(word)
    if not found:
        return None
    hour, minute = int(found["h"]), int(found["m"] or 0)
    if found["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found["ampm"] == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_slots(spec: str) -> list[Slot]:
    """``mon-fri 9:00, 13:00 sat 11am`` → slots; each time belongs to the days before it."""
    words = [w for w in re.split(r"[,\s]+", spec.lower().replace(" am", "am").replace(" pm", "pm"))
             if w]  # fmt: skip
    days: list[int] = []
    slots: list[Slot] = []
    after_day = False
    for word in words:
        if (found := _days(word)) is not None:
            # "mon, wed 9:00": days in a row add up; days after a time start a new group.
            days = [*days, *found] if after_day else found
            after_day = True
            continue
        after_day = False
        at = _time(word)
        if at is None:
            raise RequestProblem([msg("I can't read “{word}” as days or a time.", word=word)],
                                 msg("Try: {example}", example=EXAMPLE))  # fmt: skip
        if not days:
            raise RequestProblem([msg("Name the days before the times, e.g. {example}.",
                                      example=EXAMPLE)])  # fmt: skip
        slots.extend(Slot(d, at) for d in days)
    if not slots:
        raise RequestProblem([msg("Give days and times, e.g. {example}.", example=EXAMPLE)])
    return sorted(set(slots))


def split_accounts(arg: str) -> tuple[list[str], str]:
    """(account names, the rest) from ``linkedin, x mon-fri 9:00``: names come before the
    first word that is a day, a time or ``clear``."""
    words = arg.replace(",", " , ").split()
    names: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        if low in CLEAR_WORDS or _days(low) is not None or _time(low) is not None:
            return names, " ".join(words[i:]).replace(" , ", ", ")
        if word != ",":
            names.append(word)
    return names, ""


def check_can_configure(role: str) -> None:
    """Slots and the queue's settings are the workspace's: owners and admins only."""
    if not can_manage_members(role):
        raise Conflict(msg("Only this workspace's owners and admins can change its queue."))


async def named_accounts(
    rt: Runtime, workspace_id: uuid.UUID, names: Sequence[str]
) -> list[AccountView]:
    """The accounts ``names`` mean, or the problem with them."""
    chosen, problems = resolve(names, await rt.workspaces.accounts(workspace_id))
    if problems:
        raise RequestProblem(problems, msg("Try: {example}", example=EXAMPLE))
    return chosen


async def set_slots(
    rt: Runtime, workspace_id: uuid.UUID, role: str, accounts: Sequence[uuid.UUID | None],
    slots: Sequence[Slot],
) -> None:  # fmt: skip
    """Replace the slots of each account (None: the workspace's); ``slots`` empty clears."""
    check_can_configure(role)
    for account in accounts:
        await rt.slots.replace(workspace_id, account, slots)


async def set_pull_forward(rt: Runtime, workspace_id: uuid.UUID, role: str, on: bool) -> None:
    """Whether cancelling a queued post moves the rest of its queue up (``scheduler.reorder``)."""
    check_can_configure(role)
    await rt.slots.set_pull_forward(workspace_id, on)


def format_slots(slots: Sequence[Slot]) -> str:
    """``mon 9:00, 13:00 · tue 9:00``: one group per weekday."""
    by_day: dict[int, list[str]] = {}
    for slot in sorted(slots):
        by_day.setdefault(slot.weekday, []).append(f"{slot.at:%H:%M}")
    return " · ".join(f"{DAYS[d]} {', '.join(times)}" for d, times in sorted(by_day.items()))


async def slot_lines(rt: Runtime, workspace_id: uuid.UUID) -> tuple[str, list[tuple[str, str]]]:
    """The zone and (whose, slots) lines: the workspace's first, then each account's own."""
    slots, zone, _ = await rt.slots.slots(workspace_id)
    names = {a.id: describe(a) for a in await rt.workspaces.accounts(workspace_id)}
    lines = []
    for account, own in grouped(slots).items():
        whose = "workspace" if account is None else names.get(account, str(account)[:8])
        lines.append((whose, format_slots(own)))
    lines.sort(key=lambda line: line[0] != "workspace")
    return zone.key, lines


async def next_free_slot(
    rt: Runtime, workspace_id: uuid.UUID, account_ids: Sequence[uuid.UUID], after: datetime
) -> datetime | None:
    """The earliest instant after ``after`` that is a slot of every account and free on each,
    within eight weeks; None when there is none (or an account has no slots). A hint: the
    post's own create takes the slot under the queue lock (``queue_choice``)."""
    slots, zone, _ = await rt.slots.slots(workspace_id)
    start = after + timedelta(seconds=1)
    busy = await rt.slots.busy(workspace_id, account_ids, start, start + HORIZON)
    return first_free(account_ids, slots, zone, busy, start)


async def queued_after_move(
    rt: Runtime, post: PostView, account_ids: Sequence[uuid.UUID], at: datetime
) -> bool | None:
    """What a person moving ``post`` to ``at`` does to its place in the queue: False takes it
    out, None leaves it as it is. A queued post moved to another of its queue's slots (taken or
    not) stays queued, as a drag onto another slot does in Buffer; any other time is its own."""
    if not post.queued or at == post.scheduled_at:
        return None
    if account_ids:
        slots, zone, _ = await rt.slots.slots(post.workspace_id)
        if first_free(account_ids, slots, zone, [], at, at + timedelta(seconds=1)) == at:
            return None
    return False


def queue_choice(after: datetime) -> SlotChoice:
    """What a create hands storage to take the next free slot after ``after``."""
    start = after + timedelta(seconds=1)

    def pick(
        accounts: Sequence[uuid.UUID], slots: list[Slot], zone: ZoneInfo, busy: list[Busy]
    ) -> datetime | None:
        return first_free(accounts, slots, zone, busy, start)

    return (start, start + HORIZON), pick


def day_choice(day: datetime, now: datetime) -> SlotChoice:
    """What a create hands storage to take the first free slot on ``day``'s local date, not
    before ``now`` (``friday to x: …``)."""

    def pick(
        accounts: Sequence[uuid.UUID], slots: list[Slot], zone: ZoneInfo, busy: list[Busy]
    ) -> datetime | None:
        first, last = day_bounds(day.astimezone(zone).date(), zone)
        return first_free(accounts, slots, zone, busy, max(first, now), last)

    # Wide enough for the local day in any zone; ``pick`` keeps to the day.
    return (max(day - timedelta(days=2), now), day + timedelta(days=2)), pick


async def slot_choice(
    rt: Runtime, workspace_id: uuid.UUID, parsed: ParsedRequest,
    accounts: Sequence[AccountView], now: datetime,
) -> SlotChoice | None:  # fmt: skip
    """How a post's time is taken from the queue: the next free slot (``queue``), the day's
    first free slot (a date without an hour, when every account has slots), or None: the time
    as read. Refuses a queued post whose accounts have no slots."""
    day = parsed.when is not None and parsed.grain == "day" and parsed.recurrence is None
    if not parsed.queued and not day:
        return None
    missing = await unslotted(rt, workspace_id, accounts)
    if parsed.queued:
        if missing:
            raise no_slots_problem(missing)
        return queue_choice(now)
    if missing or parsed.when is None:
        return None
    return day_choice(parsed.when, now)


async def unslotted(
    rt: Runtime, workspace_id: uuid.UUID, accounts: Sequence[AccountView]
) -> list[AccountView]:
    """Those of ``accounts`` with no slots (their own or the workspace's)."""
    slots, _, _ = await rt.slots.slots(workspace_id)
    missing = set(without_slots([a.id for a in accounts], slots))
    return [a for a in accounts if a.id in missing]


def no_slots_problem(accounts: Sequence[AccountView]) -> RequestProblem:
    """The refusal of a queued post whose accounts have no slots."""
    first = accounts[0]
    return RequestProblem(
        [msg("{accounts} has no queue slots.", accounts=", ".join(describe(a) for a in accounts))],
        msg("Add some, e.g. `slots {account} mon-fri 9:00`, or give the post a time.",
            account=first.platform),
    )  # fmt: skip


def no_free_problem(accounts: Sequence[AccountView], *, day: bool = False) -> RequestProblem:
    """The refusal when no common slot is free (that day, or in the next 8 weeks)."""
    names = ", ".join(describe(a) for a in accounts)
    if day:
        return RequestProblem(
            [msg("No queue slot is free on every destination ({accounts}) that day.",
                 accounts=names)],
            msg("Pick another day, add slots with {example}, or give the hour.", example=EXAMPLE),
        )  # fmt: skip
    return RequestProblem(
        [msg("No queue slot is free on every destination ({accounts}) in the next 8 weeks.",
             accounts=names)],
        msg("Add slots with {example}, or give the post a time.", example=EXAMPLE),
    )  # fmt: skip


async def open_slots(
    rt: Runtime, workspace_id: uuid.UUID, start: datetime, end: datetime,
    account_id: uuid.UUID | None = None,
) -> dict[datetime, list[str]]:  # fmt: skip
    """The empty slots in [start, end) still ahead (the calendar's placeholders): each instant
    that is a slot of an active account (``account_id``: only that one) with no live post of
    that account then, and the names of those accounts."""
    slots, zone, _ = await rt.slots.slots(workspace_id)
    accounts = [
        a for a in await rt.workspaces.accounts(workspace_id)
        if a.status == "active" and account_id in (None, a.id)
    ]  # fmt: skip
    if not slots or not accounts:
        return {}
    start = max(start, rt.clock.now())  # a slot gone by is no longer free
    if start >= end:
        return {}
    busy = set(await rt.slots.busy(workspace_id, [a.id for a in accounts], start, end))
    free: dict[datetime, list[str]] = {}
    for account in accounts:
        for moment in instants(slots_for(account.id, slots), zone, start, end):
            if (account.id, moment) not in busy:
                free.setdefault(moment, []).append(describe(account))
    return dict(sorted(free.items()))


async def queued_in(
    rt: Runtime, workspace_id: uuid.UUID, start: datetime, end: datetime
) -> set[uuid.UUID]:
    """The ids of scheduled posts placed by the queue in [start, end) (they may move up/down)."""
    posts = await rt.posts.search(workspace_id, start, end, ("scheduled",), limit=500)
    return {p.id for p in posts if p.queued}
