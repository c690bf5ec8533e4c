"""The three verification modes as pure functions: good, missing, expired, replayed, forged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from publishers import signing
from webhooks.verify import (
    VerificationError,
    github_signature,
    verify,
    verify_github,
    verify_standard,
    verify_token,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"type":"article.published","data":{"title":"Hi"}}'


def standard_headers(
    at: datetime = NOW, body: bytes = BODY, secret: str = SECRET
) -> dict[str, str]:
    return signing.sign_headers(secret, "msg_1", int(at.timestamp()), body)


def test_standard_accepts_and_returns_the_webhook_id() -> None:
    assert verify_standard(SECRET, standard_headers(), BODY, NOW) == "msg_1"
    assert verify("standard", SECRET, standard_headers(), BODY, NOW) == "msg_1"


@pytest.mark.parametrize(
    ("headers", "body", "needle"),
    [
        ({}, BODY, "missing webhook-id"),
        (
            {k: v for k, v in standard_headers().items() if k != "webhook-signature"},
            BODY,
            "missing webhook-signature",
        ),
        (standard_headers(NOW - timedelta(minutes=10)), BODY, "expired or replayed"),
        (standard_headers(NOW + timedelta(minutes=10)), BODY, "expired or replayed"),
        (standard_headers(), BODY + b" ", "does not match"),
        (
            standard_headers(secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"),
            BODY,
            "does not match",
        ),
        ({**standard_headers(), "webhook-timestamp": "soon"}, BODY, "not an integer"),
    ],
    ids=["missing", "no-signature", "expired", "future", "tampered", "forged", "bad-ts"],
)
def test_standard_refuses(headers: dict[str, str], body: bytes, needle: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_standard(SECRET, headers, body, NOW)
    assert needle in caught.value.reason


def test_a_replayed_capture_fails_once_the_tolerance_passes() -> None:
    captured = standard_headers()
    assert verify_standard(SECRET, captured, BODY, NOW + timedelta(seconds=299)) == "msg_1"
    with pytest.raises(VerificationError):
        verify_standard(SECRET, captured, BODY, NOW + timedelta(seconds=301))


def github_headers(body: bytes = BODY, secret: str = "gh-secret") -> dict[str, str]:
    return {
        "X-Hub-Signature-256": github_signature(secret, body),
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-GitHub-Event": "release",
    }


def test_github_accepts_and_returns_the_delivery_id() -> None:
    got = verify_github("gh-secret", github_headers(), BODY)
    assert got == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    # Header names are case-insensitive, as in HTTP.
    lower = {k.lower(): v for k, v in github_headers().items()}
    assert verify("github", "gh-secret", lower, BODY, NOW) == got


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({"X-GitHub-Delivery": "d1"}, "missing X-Hub-Signature-256"),
        ({**github_headers(), "X-Hub-Signature-256": "sha256=" + "0" * 64}, "does not match"),
        (github_headers(secret="other"), "does not match"),
        ({"X-Hub-Signature-256": github_signature("gh-secret", BODY)}, "missing X-GitHub-Delivery"),
        ({**github_headers(), "X-Hub-Signature-256": "sha1=abc"}, "does not match"),
    ],
    ids=["missing", "zeros", "forged", "no-delivery", "sha1"],
)
def test_github_refuses(headers: dict[str, str], needle: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_github("gh-secret", headers, BODY)
    assert needle in caught.value.reason


def test_token_mode_takes_either_header_and_dedupes_by_key_or_body() -> None:
    assert verify_token("tok", {"X-Outpost-Token": "tok", "Idempotency-Key": "k1"}, BODY) == "k1"
    by_body = verify_token("tok", {"Authorization": "Bearer tok"}, BODY)
    assert by_body == verify_token("tok", {"x-outpost-token": "tok"}, BODY)
    assert by_body != verify_token("tok", {"x-outpost-token": "tok"}, BODY + b"\n")


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Outpost-Token": "wrong"}, {"Authorization": "Basic tok"}, {"X-Outpost-Token": ""}],
    ids=["missing", "wrong", "basic", "empty"],
)
def test_token_mode_refuses(headers: dict[str, str]) -> None:
    with pytest.raises(VerificationError):
        verify_token("tok", headers, BODY)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(VerificationError):
        verify("hmac-md5", "s", {}, BODY, NOW)
