"""The queue's chat commands: ``slots``, ``queue pull forward on|off``, ``move ID up|down``,
``evergreen stop ID``. Platform-neutral: Slack and Telegram both reach them through
``Conversation``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot.render import Reply, when
from core.errors import RequestProblem
from core.i18n import N_, msg
from core.i18n import gettext as t
from scheduler.members import Identity
from scheduler.reorder import DOWN, UP, stop_evergreen
from scheduler.roles import check_can_schedule
from scheduler.slots import (
    CLEAR_WORDS,
    EXAMPLE,
    format_slots,
    named_accounts,
    parse_slots,
    set_pull_forward,
    set_slots,
    slot_lines,
    split_accounts,
)

if TYPE_CHECKING:
    from bot.conversation import Conversation

ONOFF = msg("Write `queue pull forward on` or `queue pull forward off`.")
USAGE = N_(
    "`slots linkedin mon-fri 9:00, 13:00` sets an account's slots (no account: the "
    "workspace's), `slots linkedin clear` removes them, `queue pull forward on|off`."
)


async def run(conv: Conversation, me: Identity, kind: str, arg: str, lang: str) -> Reply:
    """Answer one queue command."""
    if kind == "slots":
        return await _slots(conv, me, arg, lang)
    words = arg.split()
    if kind == "move":
        if len(words) != 2 or words[1].lower() not in (UP, DOWN):
            raise RequestProblem([msg("Write `move ID up` or `move ID down` (see `posts`).")])
        post_id = await conv._post_id(me, words[0])
        moved, other = await conv.scheduler.move(
            me.workspace_id, post_id, words[1].lower(), role=me.role
        )
        return Reply(
            t(lang, "Moved: {text} now goes out {when}; {other} takes its old slot ({then}).",
              text=moved.content[:60], when=when(moved.scheduled_at, me.tz, lang),
              other=other.content[:60], then=when(other.scheduled_at, me.tz, lang)),
            private=True, post=moved,
        )  # fmt: skip
    if len(words) != 2 or words[0].lower() != "stop":
        raise RequestProblem([msg("Write `evergreen stop ID` (see `posts`).")])
    check_can_schedule(me.role)
    post_id = await conv._post_id(me, words[1], ("scheduled", "published", "pending_approval"))
    post = await stop_evergreen(conv.rt, me.workspace_id, post_id)
    return Reply(t(lang, "{text} will not come back into the queue.", text=post.content[:60]),
                 private=True, post=post)  # fmt: skip


async def _slots(conv: Conversation, me: Identity, arg: str, lang: str) -> Reply:
    rt, ws = conv.rt, me.workspace_id
    words = arg.lower().split()
    if words[:2] == ["pull", "forward"]:
        if words[2:] not in (["on"], ["off"]):
            raise RequestProblem([ONOFF])
        on = words[2] == "on"
        await set_pull_forward(rt, ws, me.role, on)
        if on:
            return Reply(t(lang, "When a queued post is cancelled, the later posts of its queue "
                                 "now move up a slot each."))  # fmt: skip
        return Reply(t(lang, "Cancelling a queued post now leaves the rest of its queue as is."))
    if not words:
        zone, lines = await slot_lines(rt, ws)
        if not lines:
            return Reply(t(lang, "No queue slots yet. Owners and admins: {usage}",
                           usage=t(lang, USAGE)), private=True)  # fmt: skip
        shown = [t(lang, "Queue slots ({zone}):", zone=zone)]
        for whose, times in lines:
            name = t(lang, "workspace") if whose == "workspace" else whose
            shown.append(f"• {name}: {times}")
        return Reply("\n".join(shown), private=True)
    names, spec = split_accounts(arg)
    accounts = await named_accounts(rt, ws, names) if names else []
    targets: list[uuid.UUID | None] = [a.id for a in accounts] or [None]
    clearing = spec.lower().strip() in CLEAR_WORDS
    if not spec.strip():
        raise RequestProblem([msg("Give days and times, e.g. {example}.",
                                  example=EXAMPLE)])  # fmt: skip
    slots = [] if clearing else parse_slots(spec)
    await set_slots(rt, ws, me.role, targets, slots)
    whose = ", ".join(f"{a.platform}:{a.handle}" for a in accounts) or t(lang, "workspace")
    if clearing:
        return Reply(t(lang, "No queue slots for {whose} now.", whose=whose))
    zone, _ = await slot_lines(rt, ws)
    return Reply(t(lang, "Queue slots for {whose} ({zone}): {slots}", whose=whose, zone=zone,
                   slots=format_slots(slots)))  # fmt: skip
