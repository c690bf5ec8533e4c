"""Which class publishes to which network: an explicit table, no scanning."""

from __future__ import annotations

import aiohttp

from publishers.base import Publisher
from publishers.bluesky import BlueskyPublisher
from publishers.catalog import ALIASES, canonical_platform
from publishers.discord import DiscordPublisher
from publishers.facebook import FacebookPublisher
from publishers.instagram import InstagramPublisher
from publishers.linkedin import LinkedInPublisher
from publishers.mastodon import MastodonPublisher
from publishers.slack_channel import SlackChannelPublisher
from publishers.telegram_channel import TelegramChannelPublisher
from publishers.threads import ThreadsPublisher
from publishers.webhook import WebhookPublisher
from publishers.x import XPublisher

__all__ = ["ALIASES", "OPERATOR_APIS", "PUBLISHERS", "build_publishers", "canonical_platform"]

PUBLISHERS: dict[str, type[Publisher]] = {
    "mastodon": MastodonPublisher,
    "linkedin": LinkedInPublisher,
    "facebook": FacebookPublisher,
    "instagram": InstagramPublisher,
    "threads": ThreadsPublisher,
    "webhook": WebhookPublisher,
    "x": XPublisher,
    "bluesky": BlueskyPublisher,
    "discord": DiscordPublisher,
    "telegram": TelegramChannelPublisher,
    "slack": SlackChannelPublisher,
}

# Networks whose API is a service the operator's settings name (X_API_URL, SLACK_API_URL...):
# they use the operator's session; the others reach servers users typed, through the strict one.
OPERATOR_APIS = frozenset(
    {"x", "linkedin", "facebook", "instagram", "threads", "slack", "telegram"}
)


def build_publishers(
    http: aiohttp.ClientSession,
    timeout: float,
    settings: object = None,
    *,
    operator_http: aiohttp.ClientSession | None = None,
) -> dict[str, Publisher]:
    """One publisher per network, sharing the process's HTTP sessions, configured by settings."""
    trusted = operator_http or http
    made = {
        name: cls(trusted if name in OPERATOR_APIS else http, timeout)
        for name, cls in PUBLISHERS.items()
    }
    if settings is not None:
        for publisher in made.values():
            publisher.configure(settings)
    return made
