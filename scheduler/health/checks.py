"""Account checks: per connected account, the network's "who am I" read, classified.

Nothing is posted and no row changes: a failing check is reported (CLI, chat, the thread a
soon-due post came from), it does not fail posts. A token that is close to expiry is renewed
first (``ensure_fresh``), so a check also keeps refreshable tokens alive.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from core.i18n import N_, Msg
from publishers.base import OK, OUTDATED, RECONNECT, UNREACHABLE, Health
from publishers.errors import PublishError
from scheduler.accounts.access import connect_link, ensure_fresh
from scheduler.requests import account_for
from scheduler.runtime import Runtime
from storage.views import AccountView

__all__ = ["OK", "OUTDATED", "RECONNECT", "UNREACHABLE", "AccountHealth", "check_account"]

# Networks are asked a few at a time: a check is cheap, a burst of them is not.
PARALLEL = 8
_NEXT = {
    RECONNECT: N_("Reconnect it with the link below."),
    OUTDATED: N_("The network retired what Outpost uses: the operator must update Outpost."),
    UNREACHABLE: N_("Outpost could not reach the network; it will check again."),
}
# The verdict in words; the status code itself stays English in logs and the CLI.
_VERDICT = {
    RECONNECT: N_("reconnect"),
    OUTDATED: N_("outdated"),
    UNREACHABLE: N_("unreachable"),
}


@dataclass(frozen=True)
class AccountHealth:
    """One account's check: the ``Health``, and a connect link when it must be reconnected."""

    account: AccountView
    health: Health
    link: str = ""

    @property
    def ok(self) -> bool:
        return self.health.status == OK

    @property
    def advice(self) -> str:
        """What to do next ("" when it is fine)."""
        found = _NEXT.get(self.health.status)
        return Msg(found, {}) if found else ""

    @property
    def verdict(self) -> str:
        """The status in words, translatable where a chat shows it."""
        found = _VERDICT.get(self.health.status)
        return Msg(found, {}) if found else self.health.status


async def check_account(rt: Runtime, account: AccountView) -> AccountHealth:
    """Check one account with its network; never raises for what the network answers."""
    publisher = rt.publishers.get(account.platform)
    if publisher is None:
        health = Health(OUTDATED, f"this Outpost cannot talk to {account.platform}")
    else:
        try:
            fresh = await ensure_fresh(rt, account)
        except PublishError as exc:
            health = Health.of(exc)
        else:
            health = await publisher.check(account_for(fresh, rt.cipher))
    link = ""
    if health.status == RECONNECT:
        link = connect_link(rt, account.workspace_id, None, account.platform)
    return AccountHealth(account, health, link)


async def check_workspace(rt: Runtime, workspace_id: uuid.UUID) -> list[AccountHealth]:
    """Every connected account of the workspace, in platform and handle order."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(account: AccountView) -> AccountHealth:
        async with gate:
            return await check_account(rt, account)

    accounts = await rt.workspaces.accounts(workspace_id)
    return list(await asyncio.gather(*(one(a) for a in accounts)))


def describe(result: AccountHealth) -> str:
    """One line for a person: account, verdict, reason, and what to do."""
    acc, health = result.account, result.health
    line = f"{acc.platform}:{acc.handle}: {health.status} ({health.reason})"
    if result.advice:
        line += f". {result.advice}"
    if result.link:
        line += f" {result.link}"
    return line
