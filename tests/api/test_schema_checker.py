"""The request-body checker with references inlined gives the document validator's verdict."""

from __future__ import annotations

from typing import Any

import pytest

from webhooks.openapi import OPERATIONS, checker, validator

WHEN = "2026-12-03T10:30:00+01:00"
MEDIA = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
BODIES: list[Any] = [
    {"request": "tomorrow 9am to mastodon: hi"},
    {"request": "x", "timezone": "Europe/Berlin", "media": [MEDIA], "fit_media": True},
    {"request": "x", "media": [{"id": MEDIA, "alt": "a cat"}]},
    {"request": "x", "media": [{"id": "not-a-uuid"}]},
    {"request": "x", "callback_url": "ftp://example.com"},
    {"request": ""},
    {"text": "hi", "when": WHEN, "destinations": ["mastodon"]},
    {"text": "hi", "when": "tomorrow", "destinations": ["mastodon"]},
    {"text": "hi", "when": WHEN, "destinations": []},
    {"text": "hi", "when": WHEN, "destinations": ["x"], "request": "both"},
    {"text": "hi", "when": WHEN, "destinations": ["x"], "callback_url": "https://e.com/cb"},
    {"text": "hi", "when": WHEN, "destinations": ["x"], "extra": 1},
    {"name": "n", "verification": "github", "template": "{{ payload }}",
     "destinations": ["x"], "timing": {"mode": "delay", "seconds": 5}},
    {"name": "n", "verification": "github", "template": "t", "destinations": ["x"],
     "timing": {"mode": "field"}},
    {"name": "n", "scopes": ["read", "read"]},
    {"when": WHEN},
    {"text": ""},
    [],
    None,
    "text",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted({str(op.body) for op in OPERATIONS if op.body}))
def test_inlined_checker_agrees_with_the_document(name: str) -> None:
    if name in ("multipart", "any"):
        return
    quick = checker(name)
    assert quick is not None, f"{name}'s references form a cycle"
    for body in BODIES:
        assert quick.is_valid(body) == validator(name).is_valid(body), (name, body)
