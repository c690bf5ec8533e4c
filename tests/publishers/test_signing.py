"""Standard Webhooks signing and verification."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from publishers import signing

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BODY = b'{"type":"post.published"}'


def headers(secret: str = SECRET, at: datetime = NOW, body: bytes = BODY) -> dict[str, str]:
    return signing.sign_headers(secret, "msg_1", int(at.timestamp()), body)


def test_known_vector() -> None:
    # The example from the Standard Webhooks reference implementations.
    sig = signing.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_good_signature_verifies() -> None:
    assert signing.verify(SECRET, headers(), BODY, NOW) == "msg_1"
    upper = {k.upper(): v for k, v in headers().items()}
    assert signing.verify(SECRET, upper, BODY.decode(), NOW + timedelta(seconds=299)) == "msg_1"


def test_forged_body_or_secret_fails() -> None:
    with pytest.raises(signing.ForgedSignature):
        signing.verify(SECRET, headers(), BODY + b" ", NOW)
    other = "whsec_" + base64.b64encode(b"another secret of enough length").decode()
    with pytest.raises(signing.ForgedSignature):
        signing.verify(other, headers(), BODY, NOW)
    tampered = {**headers(), "webhook-id": "msg_2"}
    with pytest.raises(signing.ForgedSignature):
        signing.verify(SECRET, tampered, BODY, NOW)


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_expired_or_future_timestamp_fails(skew: int) -> None:
    with pytest.raises(signing.ExpiredTimestamp):
        signing.verify(SECRET, headers(), BODY, NOW + timedelta(seconds=skew))


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(missing: str) -> None:
    partial = {k: v for k, v in headers().items() if k != missing}
    with pytest.raises(signing.MissingHeaders):
        signing.verify(SECRET, partial, BODY, NOW)


def test_non_numeric_timestamp_fails() -> None:
    with pytest.raises(signing.MissingHeaders):
        signing.verify(SECRET, {**headers(), "webhook-timestamp": "soon"}, BODY, NOW)


def test_any_of_several_signatures_may_match() -> None:
    good = headers()["webhook-signature"]
    many = {**headers(), "webhook-signature": f"v1,Zm9yZ2Vk v2,{good[3:]} {good}"}
    assert signing.verify(SECRET, many, BODY, NOW) == "msg_1"
    only_wrong_version = {**headers(), "webhook-signature": f"v2,{good[3:]}"}
    with pytest.raises(signing.ForgedSignature):
        signing.verify(SECRET, only_wrong_version, BODY, NOW)


def test_raw_secrets_and_bad_secrets() -> None:
    raw = headers(secret="plain-shared-secret")
    assert signing.verify("plain-shared-secret", raw, BODY, NOW) == "msg_1"
    with pytest.raises(signing.SignatureError):
        signing.sign("whsec_not*base64", "m", 1, b"")
    with pytest.raises(signing.SignatureError):
        signing.sign("", "m", 1, b"")
    assert issubclass(signing.SignatureError, ValueError)
    fresh = signing.generate_secret()
    assert fresh.startswith("whsec_")
    assert len(signing.secret_bytes(fresh)) == 24
