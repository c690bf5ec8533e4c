"""The HTTP edge: reset headers and status classification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict

from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    DuplicateContent,
    PublishError,
    RateLimited,
    Unavailable,
)
from publishers.http import DEFAULT_RETRY_AFTER, classify, error_text, retry_after

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Fri, 01 May 2026 12:00:30 GMT"}, 30.0),
        ({"X-RateLimit-Reset": "2026-05-01T12:05:00.000000Z"}, 300.0),
        ({"X-RateLimit-Reset": "2026-05-01T14:05:00+02:00"}, 300.0),
        ({"x-ratelimit-reset": str(int(NOW.timestamp()) + 42)}, 42.0),
        ({"X-RateLimit-Reset": "2026-05-01T11:00:00Z"}, 0.0),
        ({"Retry-After": "soon"}, DEFAULT_RETRY_AFTER),
        ({}, DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float) -> None:
    assert retry_after(CIMultiDict(headers), NOW) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"error": "Bad request"}, ContentRejected),
        (401, {"error": "The access token is invalid"}, AuthRevoked),
        (403, {"error": "This action is outside the authorized scopes"}, AuthRevoked),
        (403, {"error": "Your login is currently disabled"}, AuthRevoked),
        (403, {"error": "You are not allowed to reply to this status"}, ContentRejected),
        (404, {"error": "Record not found"}, ContentRejected),
        (409, {"error": "Conflict"}, DuplicateContent),
        (410, None, AuthRevoked),
        (413, None, ContentRejected),
        (415, None, ContentRejected),
        (422, {"error": "Validation failed: Text can't be blank"}, ContentRejected),
        (422, {"detail": "Status is a duplicate"}, DuplicateContent),
        (429, {"error": "Too many requests"}, RateLimited),
        (500, None, Ambiguous),
        (502, None, Ambiguous),
        (503, {"error": "Remote data could not be fetched"}, Unavailable),
        (504, None, Ambiguous),
    ],
)
def test_classify(status: int, body: dict[str, str] | None, error: type[PublishError]) -> None:
    exc = classify(status, CIMultiDict(), body, "", label="Net", now=NOW)
    assert type(exc) is error
    assert exc.status == status
    if body and status not in (429,):
        assert next(iter(body.values())) in str(exc)


def test_error_text_shapes() -> None:
    assert error_text({"error": {"message": "nested"}}, "") == "nested"
    assert error_text(None, "<html>oops</html>") == "<html>oops</html>"
    assert error_text(None, "") == "no details"
    assert len(error_text({"error": "x" * 1000}, "")) == 300
