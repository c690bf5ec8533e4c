"""Verifying inbound hooks before anything is parsed: pure functions, injectable ``now``,
constant-time compares.

Three modes: ``standard`` (Standard Webhooks: webhook-id/-timestamp/-signature),
``github`` (``X-Hub-Signature-256: sha256=<hex HMAC of the body>`` + ``X-GitHub-Delivery``)
and ``token`` (a shared secret in ``X-Outpost-Token`` or ``Authorization: Bearer``, for tools
that can only add a header). Each returns the delivery id that makes redeliveries no-ops.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from scheduler.edge import signing

MODES = ("standard", "github", "token")
TOLERANCE = 300
MAX_DELIVERY_ID = 255


class VerificationError(ValueError):
    """The delivery is not from who it claims to be; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _get(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _delivery(value: str | None, what: str) -> str:
    if not value or not value.strip():
        raise VerificationError(f"missing {what} header")
    if len(value) > MAX_DELIVERY_ID:
        raise VerificationError(f"{what} is longer than {MAX_DELIVERY_ID} characters")
    return value.strip()


def verify_standard(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: int = TOLERANCE,
    *,
    headers_only: bool = False,
) -> str:
    """Standard Webhooks; the delivery id is ``webhook-id``. With ``headers_only`` only what
    the headers can show is checked (their presence, the timestamp)."""
    try:
        msg_id = signing.verify(secret, headers, body, now, tolerance)
    except signing.MissingHeaders as exc:
        raise VerificationError(f"{exc}") from None
    except signing.ExpiredTimestamp:
        raise VerificationError(
            f"webhook-timestamp is more than {tolerance} s from now (expired or replayed)"
        ) from None
    except signing.SignatureError:
        if headers_only:
            return ""  # the headers are in order; only the body can tell the rest
        raise VerificationError("webhook-signature does not match the body") from None
    return _delivery(msg_id, "webhook-id")


def precheck(mode: str, secret: str, headers: Mapping[str, str], now: datetime) -> None:
    """Refuse what the headers alone show cannot verify, so such a body is never read.

    A missing signature or token, or a Standard Webhooks timestamp out of tolerance, costs the
    sender a request and Outpost no upload; the full check follows once the body is in.
    """
    if mode == "standard":
        verify_standard(secret, headers, b"", now, headers_only=True)
    elif mode == "github" and not _get(headers, "X-Hub-Signature-256"):
        raise VerificationError("missing X-Hub-Signature-256 header")
    elif mode == "token":
        verify_token(secret, headers, b"")  # the token is all there is to check


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_github(secret: str, headers: Mapping[str, str], body: bytes) -> str:
    """GitHub's HMAC of the raw body; the delivery id is ``X-GitHub-Delivery``."""
    given = _get(headers, "X-Hub-Signature-256")
    if not given:
        raise VerificationError("missing X-Hub-Signature-256 header")
    if not hmac.compare_digest(given.strip().encode(), github_signature(secret, body).encode()):
        raise VerificationError("X-Hub-Signature-256 does not match the body")
    return _delivery(_get(headers, "X-GitHub-Delivery"), "X-GitHub-Delivery")


def verify_token(secret: str, headers: Mapping[str, str], body: bytes) -> str:
    """A shared secret in a header; the delivery id is ``Idempotency-Key``/``X-Delivery-Id``,
    else the body's SHA-256 (the same payload twice is one delivery)."""
    given = _get(headers, "X-Outpost-Token")
    if given is None:
        auth = _get(headers, "Authorization") or ""
        scheme, _, value = auth.partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else None
    if not given:
        raise VerificationError("missing X-Outpost-Token (or Authorization: Bearer) header")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise VerificationError("the token does not match this hook's secret")
    named = _get(headers, "Idempotency-Key") or _get(headers, "X-Delivery-Id")
    if named:
        return _delivery(named, "Idempotency-Key")
    return "sha256:" + hashlib.sha256(body).hexdigest()


def verify(mode: str, secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """Check a delivery by the hook's mode; returns its delivery id or raises."""
    if mode == "standard":
        return verify_standard(secret, headers, body, now)
    if mode == "github":
        return verify_github(secret, headers, body)
    if mode == "token":
        return verify_token(secret, headers, body)
    raise VerificationError(f"unknown verification mode {mode!r}")
