"""The calendar shows the plan and its usage; its compose box is held to the plan too."""

from __future__ import annotations

import html

from aiohttp.test_utils import TestClient

from scheduler.plans import set_plan
from scheduler.runtime import Runtime
from tests.helpers import count_rows
from tests.web.conftest import (  # noqa: F401  (fixtures)
    Crew,
    _clean_calendar_tables,
    client,
    crew,
)
from tests.web.test_compose import _form
from tests.web.test_compose_form import _submit, _tomorrow


async def test_usage_box_and_compose_refusal(
    runtime: Runtime, client: TestClient[object, object], crew: Crew  # noqa: F811
) -> None:
    page = await (await client.get("/")).text()
    assert "Plan <strong>unlimited</strong>" in page
    assert '<span data-usage="accounts">1 accounts</span>' in page
    await set_plan(runtime, "acme", "tiny")
    for n in range(2):
        status, _ = await _form(client, crew, f"tomorrow 9am to mastodon: p{n}", "save")
        assert status == 200  # the post's page, after the redirect
    status, body = await _form(client, crew, "tomorrow 9am to mastodon: one more", "save")
    assert status == 403
    assert "This workspace's tiny plan allows 2 scheduled posts a month" in body
    assert "outpost workspace plan acme bigger" in body
    assert await count_rows("scheduled_posts") == 2
    page = await (await client.get("/")).text()
    assert "Plan <strong>tiny</strong>" in page
    assert '<span data-usage="posts">2 of 2 posts this month</span>' in page
    assert '<span data-usage="upload">files up to 0.01 MB</span>' in page


async def test_compose_form_is_held_to_the_plan(
    runtime: Runtime, client: TestClient[object, object], crew: Crew  # noqa: F811
) -> None:  # fmt: skip
    await set_plan(runtime, "acme", "tiny")
    fields: dict[str, str | list[str]] = {
        "account": str(crew.team.accounts["mastodon"].id),
        "when": f"{_tomorrow(runtime):%Y-%m-%dT%H:%M}",
        "action": "schedule",
    }
    for n in range(2):
        status, body = await _submit(client, crew, {**fields, "text": f"p{n}"})
        assert status == 303, body
    status, body = await _submit(client, crew, {**fields, "text": "one more"})
    assert status == 403
    assert "This workspace's tiny plan allows 2 scheduled posts a month" in html.unescape(body)
    assert "one more</textarea>" in body  # kept
    assert await count_rows("scheduled_posts") == 2
