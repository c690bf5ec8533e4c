"""A workspace's plan, what it uses of it, and the refusal that names the plan lifting a limit.

The limits are held where the rows are written (``storage.usage``): a post in
``Scheduler._store``, an account in ``scheduler.accounts.usecases``, a member in
``scheduler.members``, an upload in ``scheduler.media.ingest``. Each asks here for its
``Quota`` (``None`` when the plan has no such limit: the unlimited default costs one read) and
turns a bare ``LimitReached`` from storage into ``refusal``'s words.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.errors import LimitReached, NotFound
from core.i18n import N_, msg
from core.plans import Limit, Plan
from scheduler.runtime import Runtime
from storage.usage import Quota, Usage

SENTENCES: dict[Limit, str] = {
    "accounts": N_("This workspace's {plan} plan allows {limit} connected accounts; {lift}"),
    "posts_per_month": N_("This workspace's {plan} plan allows {limit} scheduled posts a "
                          "month; {lift}"),
    "members": N_("This workspace's {plan} plan allows {limit} members; {lift}"),
    "upload_mb": N_("This workspace's {plan} plan takes files up to {limit} MB; {lift}"),
}  # fmt: skip


@dataclass(frozen=True)
class PlanUsage:
    """A workspace's plan and what it uses of it now."""

    plan: Plan
    usage: Usage


def _number(value: float | None) -> str:
    return "∞" if value is None else f"{value:g}"


def month_start(now: datetime) -> datetime:
    """The first instant of the current month, UTC: posts per month count from here."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def workspace_plan(rt: Runtime, workspace_id: uuid.UUID) -> Plan:
    """The workspace's plan (the operator's default when it has none of its own)."""
    return rt.plans.get((await rt.workspaces.by_id(workspace_id)).plan)


async def plan_allows_approval(rt: Runtime, workspace_id: uuid.UUID) -> bool:
    """Whether the workspace's plan includes approval (for ``approval`` to check)."""
    return (await workspace_plan(rt, workspace_id)).approval


async def check_approval_allowed(rt: Runtime, workspace_id: uuid.UUID) -> None:
    """LimitReached, naming a plan that has it, when the workspace's plan has no approval."""
    plan = await workspace_plan(rt, workspace_id)
    if plan.approval:
        return
    better = next((p for p in rt.plans.plans.values() if p.approval), None)
    lift = (msg("no plan includes it.") if better is None
            else msg("the {better} plan does.", better=better.name))  # fmt: skip
    raise LimitReached(
        "approval", 0, msg("This workspace's {plan} plan does not include approval; {lift}",
                           plan=plan.name, lift=lift),
    )  # fmt: skip


async def set_plan(rt: Runtime, workspace_name: str, plan_name: str) -> Plan:
    """Put a workspace on a plan by name (``outpost workspace plan NAME PLAN``)."""
    if plan_name not in rt.plans.plans:
        raise NotFound(
            f"There is no plan {plan_name!r}; the plans are: {', '.join(rt.plans.plans)}.",
            "Pick one of them, or add it to PLANS_FILE.",
        )
    await rt.usage.set_plan(workspace_name, plan_name)
    return rt.plans.plans[plan_name]


async def plan_usage(rt: Runtime, workspace_id: uuid.UUID) -> PlanUsage:
    """The plan and the counts its limits are held to, for the chat and the calendar."""
    plan = await workspace_plan(rt, workspace_id)
    usage = await rt.usage.usage(workspace_id, month_start(rt.clock.now()))
    return PlanUsage(plan, usage)


def quota(rt: Runtime, plan: Plan, which: Limit, *args: object) -> Quota | None:
    """What storage must hold a write to, or None when the plan has no such limit."""
    allowed = plan.limit(which)
    if allowed is None or which == "upload_mb":
        return None
    return Quota(which, int(allowed), args)


def refusal(
    rt: Runtime, plan: Plan, which: Limit, used: int, workspace: str = "",
    needed: float | None = None,
) -> LimitReached:  # fmt: skip
    """The refusal: which limit, the plan's number, and the plan that lifts it (if any).

    ``needed`` is what the lifting plan must allow (one more than now, or the file's MB).
    """
    allowed = plan.limit(which)
    better = rt.plans.lifting(plan, which, needed if needed is not None else (allowed or 0) + 1)
    if better is None:
        lift = msg("no plan allows more.")
        hint = ""
    else:
        more = better.limit(which)
        lift = (msg("the {better} plan has no such limit.", better=better.name) if more is None
                else msg("the {better} plan allows {more}.", better=better.name,
                         more=_number(more)))  # fmt: skip
        hint = msg(
            "Whoever runs this Outpost can move it: `outpost workspace plan {workspace} {better}`.",
            workspace=workspace or "WORKSPACE", better=better.name,
        )
    message = msg(SENTENCES[which], plan=plan.name, limit=_number(allowed), lift=lift)
    return LimitReached(which, used, message, hint)


async def refused(
    rt: Runtime, workspace_id: uuid.UUID, plan: Plan, exc: LimitReached
) -> LimitReached:
    """Storage's bare LimitReached, worded with the workspace's name."""
    name = (await rt.workspaces.by_id(workspace_id)).name
    which: Limit = exc.which  # type: ignore[assignment]  # storage raises only Counted names
    return refusal(rt, plan, which, exc.used, name)
