"""Turn destinations as typed ("x", "@acme.bsky.social", "linkedin:acme-corp", "all") into
connected accounts, or say which are unknown and what is connected."""

from __future__ import annotations

from collections.abc import Sequence

from core.i18n import msg
from publishers.registry import canonical_platform
from storage.views import AccountView


def describe(account: AccountView) -> str:
    return f"{account.platform}:{account.handle}"


def connected_list(accounts: Sequence[AccountView]) -> str:
    if not accounts:
        return msg("No accounts are connected yet: connect one with `connect mastodon`.")
    return msg("Connected: {accounts}.", accounts=", ".join(describe(a) for a in accounts))


def resolve(
    typed: Sequence[str], accounts: Sequence[AccountView]
) -> tuple[list[AccountView], list[str]]:
    """The accounts the typed names mean, and the problems with names that mean none or many."""
    active = [a for a in accounts if a.status == "active"]
    chosen: dict[str, AccountView] = {}
    problems: list[str] = []
    for raw in typed:
        name = raw.strip().lower()
        if not name:
            continue
        if name in ("all", "everywhere", "everything"):
            if not active:
                problems.append(connected_list(accounts))
            chosen.update((str(a.id), a) for a in active)
            continue
        matches = _match(name, active)
        if len(matches) == 1:
            chosen[str(matches[0].id)] = matches[0]
        elif matches:
            options = ", ".join(describe(a) for a in matches)
            problems.append(
                msg("“{name}” could mean {options}; name one, e.g. `to {example}`.",
                    name=raw, options=options, example=describe(matches[0]))
            )  # fmt: skip
        else:
            stale = [a for a in _match(name, accounts) if a.status == "reconnect"]
            if stale:
                problems.append(
                    msg("“{name}” must be reconnected before it can post: `connect {platform}`.",
                        name=raw, platform=stale[0].platform)
                )  # fmt: skip
            else:
                problems.append(
                    msg("I don't know “{name}”. {connected}", name=raw,
                        connected=connected_list(accounts))
                )  # fmt: skip
    return list(chosen.values()), problems


def _match(name: str, accounts: Sequence[AccountView]) -> list[AccountView]:
    platform, _, handle = name.partition(":")
    if handle and not platform.startswith("@") and "//" not in name:
        platform = canonical_platform(platform)
        handle = handle.lstrip("@")
        return [
            a for a in accounts if a.platform == platform and a.handle.lower().lstrip("@") == handle
        ]
    bare = name.lstrip("@")
    by_handle = [a for a in accounts if a.handle.lower().lstrip("@") == bare]
    if by_handle:
        return by_handle
    platform = canonical_platform(name)
    return [a for a in accounts if a.platform == platform]
