"""Slack's v0 request signature, checked at our edge before the body is parsed or logged.

https://api.slack.com/authentication/verifying-requests-from-slack (read 2026-12-07): the
signature is HMAC-SHA256 of ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with the signing
secret, sent as ``X-Slack-Signature: v0=<hex>``; a timestamp more than five minutes from now
is refused against replays.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_SKEW = 5 * 60


def signature_ok(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> bool:
    """Whether ``signature`` signs ``body`` at ``timestamp``, within five minutes of ``now``."""
    if not timestamp or not signature:
        return False
    # A timestamp is whole seconds; anything else ("abc", "1e9", a sign) is not Slack's.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > MAX_SKEW:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
