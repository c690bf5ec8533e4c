"""A text's length as each chosen network counts it, against that network's limit.

The compose form asks as the person types (X weighs URLs as 23 and CJK as 2, Bluesky counts
graphemes, Telegram UTF-16 units): the counting stays the publishers' own, never redone in
the browser.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from publishers.base import Publisher
from scheduler.requests import account_for
from scheduler.runtime import Runtime
from storage.views import AccountView

# Longer than any network takes (the webhook's 100,000): counting more only costs time.
MAX_COUNTED = 200_000
SHORT = 2_000


@dataclass(frozen=True)
class TextCount:
    """One network's count of the text it would get (its version, else the main text)."""

    platform: str
    label: str
    length: int
    limit: int
    # Whether ``length`` counts the network's own version rather than the main text.
    own_version: bool

    @property
    def over(self) -> bool:
        return self.length > self.limit

    def to_json(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "label": self.label,
            "length": self.length,
            "limit": self.limit,
            "over": self.over,
            "own_version": self.own_version,
        }


async def text_counts(
    rt: Runtime,
    workspace_id: uuid.UUID,
    text: str,
    account_ids: Collection[uuid.UUID],
    variants: Mapping[str, str] | None = None,
) -> list[TextCount]:
    """Per network among the workspace's chosen active accounts, in the accounts' order.

    Two accounts on one network may have different limits (Mastodon instances): the smaller
    one is the network's.
    """
    versions = {k: v[:MAX_COUNTED] for k, v in (variants or {}).items() if v.strip()}
    text = text[:MAX_COUNTED]
    chosen = [
        (account, publisher)
        for account in await rt.workspaces.accounts(workspace_id)
        if account.id in account_ids
        and account.status == "active"
        and (publisher := rt.publishers.get(account.platform)) is not None
    ]
    if max([len(text), *map(len, versions.values())]) <= SHORT:
        return _count(chosen, text, versions)
    # twitter-text weighs about 50,000 characters a second: a long text is counted off the loop.
    return await asyncio.to_thread(_count, chosen, text, versions)


def _count(
    chosen: list[tuple[AccountView, Publisher]], text: str, versions: Mapping[str, str]
) -> list[TextCount]:
    counts: dict[str, TextCount] = {}
    for account, publisher in chosen:
        own = account.platform in versions
        limit = publisher.text_limit(account_for(account, None))
        known = counts.get(account.platform)
        if known is not None and known.limit <= limit:
            continue
        body = versions[account.platform] if own else text
        label = publisher.label or account.platform
        counts[account.platform] = TextCount(
            account.platform, label, publisher.length(body), limit, own
        )
    return list(counts.values())


def network_labels(rt: Runtime, platforms: Collection[str]) -> dict[str, str]:
    """Each network's name as people know it ("X", "Bluesky"), for tabs and counts."""
    labels = {}
    for platform in platforms:
        publisher = rt.publishers.get(platform)
        labels[platform] = (publisher.label if publisher is not None else "") or platform
    return labels
