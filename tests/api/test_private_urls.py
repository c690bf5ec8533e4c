"""A callback URL this Outpost would refuse to connect to is refused where it is typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_hooks import TEMPLATE
from tests.helpers import count_rows

HOOK = {"name": "h", "verification": "github", "template": TEMPLATE, "destinations": ["mastodon"]}


@pytest.fixture
def production_rule(api: Api) -> Iterator[None]:
    api.rt.settings.allow_private_urls = False
    yield
    api.rt.settings.allow_private_urls = None


@pytest.mark.parametrize(
    ("path", "body", "url"),
    [
        ("/api/v1/posts", {"request": "tomorrow 9am to mastodon: hi"}, "callback_url"),
        ("/api/v1/callbacks/endpoints", {}, "url"),
        ("/api/v1/hooks", HOOK, "callback_url"),
    ],
)
@pytest.mark.parametrize(
    "address",
    [
        "http://169.254.169.254/latest",
        "http://localhost:8080/x",
        "http://[::1]/x",
        # Spellings a connection reads as loopback: numbers in inet_aton's forms, IDNA mapping.
        "http://0x7f000001:6379/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://\u24dbocalhost:6379/",
    ],
)
@pytest.mark.usefixtures("production_rule")
async def test_a_private_address_is_422_and_writes_nothing(
    api: Api, path: str, body: dict[str, Any], url: str, address: str
) -> None:
    status, answer, _ = await api.call("POST", path, json={**body, url: address})
    assert status == 422, answer
    assert "private or local address" in str(answer)
    for table in ("scheduled_posts", "api_callback_endpoints", "api_hooks"):
        assert await count_rows(table) == 0


@pytest.mark.usefixtures("production_rule")
async def test_public_names_pass_and_a_hook_edit_is_checked_too(api: Api) -> None:
    status, _, _ = await api.call(
        "POST", "/api/v1/callbacks/endpoints", json={"url": "https://hooks.example.com/in"}
    )
    assert status == 201  # a name is checked when a delivery connects
    status, created, _ = await api.call("POST", "/api/v1/hooks", json=HOOK)
    assert status == 201, created
    hook_id = created["hook"]["id"]
    status, answer, _ = await api.call(
        "PATCH", f"/api/v1/hooks/{hook_id}", json={"callback_url": "http://10.0.0.7/cb"}
    )
    assert status == 422, answer
    assert "10.0.0.7" in str(answer)
