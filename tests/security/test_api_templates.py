"""Issue #23, item 2: a hook template cannot freeze the process. The sandbox refuses operators
whose results would be huge, output is capped, and rendering runs in a worker process that is
killed and replaced when it overruns its deadline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scheduler.runtime import Runtime
from tests.api.conftest import Api, open_api
from tests.api.test_hooks import make_hook, post_hook
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows

# About 1.5e8 loop steps: tens of seconds in one thread, and no output for a size cap to see.
SLOW = "{% for i in range(100000) %}{% for j in range(1500) %}{% endfor %}{% endfor %}done"
GOOD = "{{ msg }} from {{ payload.who }}"


@pytest.fixture
async def api(runtime: Runtime, mastodon: FakeMastodon) -> AsyncIterator[Api]:
    async with open_api(runtime, mastodon) as running:
        yield running


async def preview(api: Api, hook_id: str, payload: Any) -> tuple[int, Any]:
    status, body, _ = await api.call(
        "POST", f"/api/v1/hooks/{hook_id}/preview", json={"payload": payload}
    )
    return status, body


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{{ (2 ** 100000) > 1 }}", "`**` would make a number over 16384 bits"),
        ("{{ (9 ** (9 ** 8)) > 1 }}", "`**` would make a number over 16384 bits"),
        ("{{ ('x' * 10000000) | length }}", "`*` would make something over 100 KB"),
        ("{{ 'x'.center(100000000) | length }}", "over the limit of 102400"),
        ("{% for i in range(100000) %}0123456789{% endfor %}", "output is over 100 KB"),
    ],
)
async def test_templates_that_would_be_huge_are_a_422_naming_the_limit(
    api: Api, template: str, needle: str
) -> None:
    hook, _ = await make_hook(api, "token", template=GOOD)
    status, _, _ = await api.call(
        "PATCH", f"/api/v1/hooks/{hook['id']}", json={"template": template}
    )
    assert status == 200
    status, answer = await preview(api, hook["id"], {"msg": "hi"})
    assert status == 422, answer
    assert needle in answer["error"]["message"], answer


async def test_a_slow_template_is_stopped_at_the_deadline_and_the_next_render_works(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    hook, secret = await make_hook(api, "token", template=SLOW)
    status, answer = await preview(api, hook["id"], {})
    assert status == 422, answer
    assert "took more than 1 s" in answer["error"]["message"]

    status, answer = await post_hook(
        api, hook["id"], b"{}", {"X-Outpost-Token": secret, "Content-Type": "application/json"}
    )
    assert status == 422, answer
    assert "took more than 1 s" in answer["error"]["message"]
    refused = [r for r in caplog.records if r.getMessage() == "hook delivery refused"]
    assert "took more than 1 s" in getattr(refused[0], "reason", "")
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("api_hook_deliveries") == 0

    # The overrunning worker was replaced: an ordinary template renders at once.
    await api.call("PATCH", f"/api/v1/hooks/{hook['id']}", json={"template": GOOD})
    status, answer = await preview(api, hook["id"], {"msg": "Hi", "who": "CI"})
    assert status == 200, answer
    assert answer["text"] == "Hi from CI"
    body = json.dumps({"msg": "Shipped", "who": "CI"}).encode()
    status, answer = await post_hook(api, hook["id"], body, {"X-Outpost-Token": secret})
    assert status == 201, answer
    assert answer["post"]["text"] == "Shipped from CI"


async def test_a_template_too_deep_to_compile_is_a_422_not_a_500(api: Api) -> None:
    deep = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/hooks",
        json={
            "name": "deep",
            "verification": "token",
            "template": deep,
            "destinations": ["mastodon"],
        },
    )
    assert status == 422, answer
    assert "nests too deeply" in json.dumps(answer)
    assert await count_rows("api_hooks") == 0


async def test_a_worker_killed_while_idle_is_replaced_without_failing_a_render(
    runtime: Runtime,
) -> None:
    runner = runtime.templates
    assert await runner.render("{{ a }}", {"a": "one"}) == "one"
    for worker in list(runner._idle):
        worker.process.kill()
        worker.process.join()
    assert await runner.render("{{ a }}", {"a": "two"}) == "two"
