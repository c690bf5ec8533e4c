"""Standard Webhooks signatures (https://www.standardwebhooks.com): pure functions.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``; the signature header holds
space-separated ``v1,<base64 HMAC-SHA256>`` entries so a sender can rotate secrets.

SignatureError (ValueError)
├── MissingHeaders       a webhook-* header is absent or malformed
├── ExpiredTimestamp     the timestamp is outside the tolerance (replay protection)
└── ForgedSignature      no listed signature matches
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime

PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class SignatureError(ValueError):
    """The request does not carry a valid Standard Webhooks signature."""


class MissingHeaders(SignatureError):
    """A webhook-* header is absent or malformed."""


class ExpiredTimestamp(SignatureError):
    """The signed timestamp is too old or too far in the future."""


class ForgedSignature(SignatureError):
    """No signature in the header matches the body."""


def generate_secret() -> str:
    """A new random secret in ``whsec_<base64>`` form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key: base64-decoded after ``whsec_``, or a raw secret's UTF-8 bytes."""
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX) :], validate=True)
        except ValueError as exc:
            raise SignatureError("the whsec_ secret is not valid base64") from exc
    if not secret:
        raise SignatureError("the signing secret is empty")
    return secret.encode()


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``v1,<base64>`` signature of one message."""
    content = f"{msg_id}.{timestamp}.".encode() + _as_bytes(body)
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
    """The three webhook-* headers for one message."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    # Header names are case-insensitive; plain dicts from tests or frameworks vary in case.
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise MissingHeaders(f"missing {name} header")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    now: datetime,
    tolerance: int = 300,
) -> str:
    """Check the signature of a received message; returns its webhook-id or raises."""
    msg_id = _header(headers, ID_HEADER)
    raw_ts = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise MissingHeaders("webhook-timestamp is not an integer") from None
    if abs(now.timestamp() - timestamp) > tolerance:
        raise ExpiredTimestamp("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1].encode()
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        # compare_digest on every candidate: no early exit that leaks timing.
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return msg_id
    raise ForgedSignature("no webhook-signature matches")
