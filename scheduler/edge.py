"""What adapters use of ``storage`` and ``publishers`` besides views: the network registry,
Standard Webhooks signing, the private-address guard, the signed media check, and the stores
that hold one chat platform's own state (Bolt installations, Telegram albums).

Re-exported here so the import contracts can say adapters import ``scheduler``, never
``storage`` or ``publishers``; an upgrade of either shows up in this one module.
"""

from __future__ import annotations

from publishers import guard, signing
from publishers.oauth import OAUTH_PLATFORMS
from publishers.registry import PUBLISHERS, canonical_platform
from storage.media import check_signature
from storage.slack import SlackStore
from storage.telegram import TelegramStore

__all__ = [
    "OAUTH_PLATFORMS",
    "PUBLISHERS",
    "SlackStore",
    "TelegramStore",
    "canonical_platform",
    "check_signature",
    "guard",
    "signing",
]
