"""Which class publishes to which network: an explicit table, no scanning."""

from __future__ import annotations

import aiohttp

from publishers.base import Publisher
from publishers.mastodon import MastodonPublisher
from publishers.webhook import WebhookPublisher

PUBLISHERS: dict[str, type[Publisher]] = {
    "mastodon": MastodonPublisher,
    "webhook": WebhookPublisher,
}

# Names people type in chat, mapped to the canonical platform name.
ALIASES: dict[str, str] = {
    "twitter": "x",
    "tweet": "x",
    "toot": "mastodon",
    "masto": "mastodon",
    "fb": "facebook",
    "bsky": "bluesky",
    "ig": "instagram",
    "insta": "instagram",
    "li": "linkedin",
    "tg": "telegram",
    "hook": "webhook",
}


def canonical_platform(name: str) -> str:
    """The canonical platform name for ``name`` (case and aliases folded)."""
    key = name.strip().lower().lstrip("@#")
    return ALIASES.get(key, key)


def build_publishers(http: aiohttp.ClientSession, timeout: float) -> dict[str, Publisher]:
    """One publisher per network, sharing the process's HTTP session."""
    return {name: cls(http, timeout) for name, cls in PUBLISHERS.items()}
