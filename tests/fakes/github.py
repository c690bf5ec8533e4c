"""What GitHub sends to a webhook: the ``release`` event's payload and its headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any


def release_payload(tag: str = "v1.4.0", name: str = "Outpost 1.4") -> dict[str, Any]:
    """A trimmed ``release`` event (action ``published``) in GitHub's shape."""
    return {
        "action": "published",
        "release": {
            "id": 1296269,
            "tag_name": tag,
            "name": name,
            "html_url": f"https://github.com/acme/outpost/releases/tag/{tag}",
            "draft": False,
            "prerelease": False,
            "created_at": "2026-12-01T11:58:00Z",
            "published_at": "2026-12-01T12:00:00Z",
            "author": {"login": "octocat", "id": 1},
            "body": "Faster scheduling.",
        },
        "repository": {"id": 1, "full_name": "acme/outpost", "private": False},
        "sender": {"login": "octocat", "id": 1},
    }


def deliver(
    secret: str, payload: Any, event: str = "release", delivery: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery, signed like GitHub (``X-Hub-Signature-256``)."""
    body = json.dumps(payload, indent=2).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": f"sha256={digest}",
    }
