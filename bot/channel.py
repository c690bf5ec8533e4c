"""The ``defaults`` command and what ``help`` and ``accounts`` add about the chat and the plan.

``defaults`` shows the chat's defaults; ``defaults to x, linkedin``, ``defaults timezone
Europe/Berlin``, ``defaults approver @name`` and ``defaults clear`` change them (owners and
admins only). Platform-neutral: the chat is named by ``scheduler.channels.Chat``.
"""

from __future__ import annotations

from bot.render import Reply, problem
from core.errors import RequestProblem
from core.i18n import N_
from core.i18n import gettext as t
from scheduler.channels import (
    Chat,
    Shown,
    clear,
    is_admin,
    set_approver,
    set_destinations,
    set_zone,
    shown,
)
from scheduler.media.ingest import upload_limit
from scheduler.members import Identity
from scheduler.plans import PlanUsage, plan_usage
from scheduler.runtime import Runtime

USAGE = N_(
    "`defaults to x, linkedin` (where `tomorrow 9am: hi` goes from here), "
    "`defaults timezone Europe/Berlin`, `defaults approver @name`, `defaults clear`."
)


async def defaults_command(rt: Runtime, chat: Chat, me: Identity, arg: str, lang: str) -> Reply:
    """Show or change the chat's defaults."""
    word, _, rest = arg.strip().partition(" ")
    word = word.lower()
    if not word:
        return Reply(describe(await shown(rt, chat), lang), private=True)
    if word not in ("to", "timezone", "tz", "approver", "clear"):
        return Reply(t(lang, "I can set: {usage}", usage=t(lang, USAGE)), private=True)
    if not chat.chat_id:
        return Reply(t(lang, "This chat cannot have defaults."), private=True)
    if not await is_admin(rt, me.workspace_id, me.user_id):
        return Reply(
            t(lang, "Only this workspace's owners and admins can change this chat's defaults."),
            private=True,
        )
    try:
        if word == "clear":
            await clear(rt, chat)
            return Reply(t(lang, "This chat has no defaults now."))
        if word == "to":
            chosen = await set_destinations(rt, chat, rest)
            names = ", ".join(f"{a.platform}:{a.handle}" for a in chosen)
            return Reply(t(lang, "Requests here without destinations now go to {names}.",
                           names=names))  # fmt: skip
        if word in ("timezone", "tz"):
            zone = await set_zone(rt, chat, rest)
            return Reply(t(lang, "Requests here are now read in {zone}.", zone=zone))
        await set_approver(rt, chat, rest)
        found = await shown(rt, chat)
        return Reply(t(lang, "Posts requested here are now approved by {who}.",
                       who=found.approver or rest.strip()))  # fmt: skip
    except RequestProblem as exc:
        hint = exc.hint or t(lang, "I can set: {usage}", usage=t(lang, USAGE))
        return problem(exc.problems, hint, lang)


def describe(found: Shown, lang: str | None) -> str:
    """The chat's defaults, one per line, or how to set them."""
    if found.empty:
        return t(lang, "This chat has no defaults. Owners and admins can set them: {usage}",
                 usage=t(lang, USAGE))  # fmt: skip
    lines = [t(lang, "This chat's defaults:")]
    if found.destinations:
        names = ", ".join(f"{a.platform}:{a.handle}" for a in found.destinations)
        lines.append("• " + t(lang, "destinations: {names}", names=names))
    if found.timezone:
        lines.append("• " + t(lang, "time zone: {zone}", zone=found.timezone))
    if found.approver:
        lines.append("• " + t(lang, "approver: {who}", who=found.approver))
    return "\n".join(lines)


def _of(used: int, allowed: float | None) -> str:
    return str(used) if allowed is None else f"{used}/{allowed:g}"


def usage_line(rt: Runtime, found: PlanUsage, lang: str | None) -> str:
    """``Plan: free — accounts 2/3, …``: what the workspace uses of its plan (label: count, so
    no plural form is needed)."""
    plan, used = found.plan, found.usage
    upload = plan.upload_mb if plan.upload_mb is not None else upload_limit(rt) / 2**20
    return t(
        lang,
        "Plan: {plan} — accounts {accounts}, posts this month {posts}, members {members}, "
        "files up to {upload} MB.",
        plan=plan.name, accounts=_of(used.accounts, plan.accounts),
        posts=_of(used.posts_this_month, plan.posts_per_month),
        members=_of(used.members, plan.members), upload=f"{upload:g}",
    )  # fmt: skip


async def about_chat(rt: Runtime, chat: Chat, lang: str | None, *, plan: bool) -> str:
    """What ``help`` (the defaults) and ``accounts`` (the plan, then the defaults) add."""
    parts = []
    if plan:
        parts.append(usage_line(rt, await plan_usage(rt, chat.workspace_id), lang))
    found = await shown(rt, chat)
    if not found.empty:
        parts.append(describe(found, lang))
    elif not plan:
        usage = t(lang, USAGE)
        parts.append(t(lang, "Owners and admins can give this chat defaults: {usage}",
                       usage=usage))  # fmt: skip
    return "\n\n".join(parts)
