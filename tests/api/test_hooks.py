"""Inbound hooks over HTTP: each verification mode, redeliveries, bad deliveries store nothing."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from publishers import signing
from scheduler.api_tokens import create_token
from tests.api.conftest import Api, start_api
from tests.fakes.github import deliver, release_payload
from tests.helpers import count_rows, team
from webhooks import ApiConfig
from webhooks.verify import github_signature

TEMPLATE = "{{ release.name }} is out: {{ release.html_url }}"


async def make_hook(api: Api, verification: str, **extra: Any) -> tuple[dict[str, Any], str]:
    body = {
        "name": f"{verification} hook",
        "verification": verification,
        "template": TEMPLATE,
        "destinations": ["mastodon"],
        "timing": {"mode": "delay", "seconds": 3600},
        **extra,
    }
    status, created, _ = await api.call("POST", "/api/v1/hooks", json=body)
    assert status == 201, created
    return created["hook"], created["secret"]


async def post_hook(
    api: Api, hook_id: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    async with api.http.post(f"{api.url}/hooks/{hook_id}", data=body, headers=headers) as resp:
        return resp.status, await resp.json()


def standard(
    secret: str, body: bytes, msg_id: str = "msg_1", at: float | None = None
) -> dict[str, str]:
    stamp = int(at if at is not None else time.time())
    return {"Content-Type": "application/json", **signing.sign_headers(secret, msg_id, stamp, body)}


async def nothing_stored() -> None:
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("api_hook_deliveries") == 0


async def test_github_release_makes_one_post_and_a_redelivery_makes_none(api: Api) -> None:
    hook, secret = await make_hook(api, "github", events=["release"])
    assert hook["url"].endswith(f"/hooks/{hook['id']}")
    body, headers = deliver(secret, release_payload())
    status, first = await post_hook(api, hook["id"], body, headers)
    assert status == 201, first
    assert first["status"] == "created"
    post = first["post"]
    assert post["text"] == "Outpost 1.4 is out: https://github.com/acme/outpost/releases/tag/v1.4.0"
    assert post["status"] == "scheduled"
    assert [d["platform"] for d in post["destinations"]] == ["mastodon"]
    due = datetime.fromisoformat(post["scheduled_at"])
    assert timedelta(minutes=59) < due - api.rt.clock.now() <= timedelta(minutes=60)

    status, again = await post_hook(api, hook["id"], body, headers)
    assert (status, again["status"], again["post_id"]) == (200, "duplicate", post["id"])
    assert await count_rows("scheduled_posts") == 1


async def test_standard_webhooks_hook_and_its_redelivery(api: Api) -> None:
    hook, secret = await make_hook(
        api, "standard", template="New: {{ data.title }}", timing={"mode": "now"}
    )
    body = json.dumps({"type": "article.published", "data": {"title": "Spring menu"}}).encode()
    status, first = await post_hook(api, hook["id"], body, standard(secret, body))
    assert status == 201, first
    assert first["post"]["text"] == "New: Spring menu"
    # The sender retries later with a fresh timestamp but the same webhook-id.
    status, again = await post_hook(
        api, hook["id"], body, standard(secret, body, at=time.time() + 5)
    )
    assert (status, again["status"]) == (200, "duplicate")
    assert await count_rows("scheduled_posts") == 1


async def test_token_hook_for_tools_that_only_add_a_header(api: Api) -> None:
    hook, secret = await make_hook(api, "token", template="{{ msg }}", timing={"mode": "now"})
    body = b'{"msg": "From Zapier"}'
    headers = {"X-Outpost-Token": secret, "Content-Type": "application/json"}
    status, first = await post_hook(api, hook["id"], body, headers)
    assert status == 201, first
    status, again = await post_hook(api, hook["id"], body, headers)
    assert (status, again["status"]) == (200, "duplicate")
    status, other = await post_hook(api, hook["id"], body, {**headers, "Idempotency-Key": "run-2"})
    assert (status, other["status"]) == (201, "created")
    assert await count_rows("scheduled_posts") == 2


def _bad_standard(secret: str, body: bytes) -> dict[str, dict[str, str]]:
    return {
        "missing": {"Content-Type": "application/json"},
        "expired": standard(secret, body, at=time.time() - 600),
        "replayed": standard(secret, body, msg_id="msg_captured", at=time.time() - 3600),
        "forged": standard(signing.generate_secret(), body),
        "tampered": standard(secret, body + b" "),
    }


@pytest.mark.parametrize("case", ["missing", "expired", "replayed", "forged", "tampered"])
async def test_standard_refusals_are_401_and_store_nothing(api: Api, case: str) -> None:
    hook, secret = await make_hook(api, "standard")
    body, _ = deliver("x", release_payload())
    status, answer = await post_hook(api, hook["id"], body, _bad_standard(secret, body)[case])
    assert status == 401, answer
    assert answer["error"]["code"] == "invalid_signature"
    assert secret not in json.dumps(answer)
    await nothing_stored()


@pytest.mark.parametrize("case", ["missing", "forged", "no-delivery-id", "other-body"])
async def test_github_refusals_are_401_and_store_nothing(api: Api, case: str) -> None:
    hook, secret = await make_hook(api, "github")
    body, headers = deliver(secret, release_payload())
    if case == "missing":
        del headers["X-Hub-Signature-256"]
    elif case == "forged":
        headers = deliver("not-the-secret", release_payload())[1]
    elif case == "no-delivery-id":
        del headers["X-GitHub-Delivery"]
    else:
        body = deliver(secret, release_payload(name="Evil"))[0]
    status, answer = await post_hook(api, hook["id"], body, headers)
    assert status == 401, answer
    await nothing_stored()


@pytest.mark.parametrize("headers", [{}, {"X-Outpost-Token": "guess"}], ids=["missing", "wrong"])
async def test_token_refusals_are_401_and_store_nothing(api: Api, headers: dict[str, str]) -> None:
    hook, _ = await make_hook(api, "token")
    status, answer = await post_hook(api, hook["id"], b"{}", headers)
    assert status == 401, answer
    await nothing_stored()


async def test_malformed_json_is_400_saying_where(api: Api) -> None:
    hook, secret = await make_hook(api, "github")
    body = b'{\n  "release": {\n    "name": "x",\n  }\n}'
    _, headers = deliver(secret, {})
    headers["X-Hub-Signature-256"] = github_signature(secret, body)
    status, answer = await post_hook(api, hook["id"], body, headers)
    assert status == 400, answer
    assert answer["error"]["code"] == "malformed_json"
    assert "line 4, column 3" in answer["error"]["message"]
    await nothing_stored()


async def test_a_template_error_stores_nothing_and_a_fixed_resend_works(api: Api) -> None:
    hook, secret = await make_hook(api, "github", template="{{ release.title }}")
    body, headers = deliver(secret, release_payload())
    status, answer = await post_hook(api, hook["id"], body, headers)
    assert status == 422, answer
    assert "title" in answer["error"]["message"]
    await nothing_stored()
    status, _, _ = await api.call(
        "PATCH", f"/api/v1/hooks/{hook['id']}", json={"template": TEMPLATE}
    )
    assert status == 200
    status, answer = await post_hook(api, hook["id"], body, headers)
    assert (status, answer["status"]) == (201, "created")


async def test_timing_from_a_payload_field(api: Api) -> None:
    hook, secret = await make_hook(
        api,
        "token",
        template="{{ title }}",
        timing={"mode": "field", "field": "article.publish_at"},
    )
    at = (api.rt.clock.now() + timedelta(days=2)).replace(microsecond=0)
    body = json.dumps({"title": "Later", "article": {"publish_at": at.isoformat()}}).encode()
    status, answer = await post_hook(api, hook["id"], body, {"X-Outpost-Token": secret})
    assert status == 201, answer
    assert datetime.fromisoformat(answer["post"]["scheduled_at"]) == at


async def test_ping_and_unlisted_events_are_ignored(api: Api) -> None:
    hook, secret = await make_hook(api, "github", events=["release"])
    for event in ("ping", "push"):
        body, headers = deliver(secret, {"zen": "Keep it simple."}, event=event)
        status, answer = await post_hook(api, hook["id"], body, headers)
        assert (status, answer["status"]) == (200, "ignored"), answer
    await nothing_stored()


async def test_preview_renders_a_sample_and_stores_nothing(api: Api) -> None:
    hook, _ = await make_hook(api, "github")
    status, shown, _ = await api.call(
        "POST", f"/api/v1/hooks/{hook['id']}/preview", json={"payload": release_payload()}
    )
    assert status == 200, shown
    assert shown["text"].startswith("Outpost 1.4 is out: https://github.com/")
    assert shown["destinations"] == ["mastodon:@outpost@fake.social"]
    assert shown["problems"] == []
    status, shown, _ = await api.call(
        "POST", f"/api/v1/hooks/{hook['id']}/preview", json={"payload": {"release": {}}}
    )
    assert status == 200
    assert shown["text"] is None
    assert "name" in shown["problems"][0]
    await nothing_stored()


async def test_hook_management_and_other_workspaces(api: Api) -> None:
    hook, _ = await make_hook(api, "token")
    status, listed, _ = await api.call("GET", "/api/v1/hooks")
    assert status == 200
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    status, got, _ = await api.call("GET", f"/api/v1/hooks/{hook['id']}")
    assert status == 200
    assert got == hook
    status, edited, _ = await api.call(
        "PATCH", f"/api/v1/hooks/{hook['id']}", json={"enabled": False, "name": "paused"}
    )
    assert status == 200
    assert (edited["enabled"], edited["name"]) == (False, "paused")
    status, _ = await post_hook(api, hook["id"], b"{}", {"X-Outpost-Token": "x"})
    assert status == 404

    other = await team(api.rt, "globex")
    other_token, _ = await create_token(api.rt, other.workspace.id, "t", ["read", "write"])
    for method in ("GET", "PATCH", "DELETE"):
        kw: dict[str, Any] = {"json": {"name": "mine"}} if method == "PATCH" else {}
        status, answer, _ = await api.call(
            method, f"/api/v1/hooks/{hook['id']}", token=other_token, **kw
        )
        assert status == 404, answer
    status, _, _ = await api.call("DELETE", f"/api/v1/hooks/{hook['id']}")
    assert status == 204
    status, _, _ = await api.call("GET", f"/api/v1/hooks/{hook['id']}")
    assert status == 404


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"destinations": ["myspace"]}, "myspace"),
        ({"template": "{{ release.name "}, "syntax error"),
        ({"verification": "md5"}, "verification"),
        ({"timing": {"mode": "delay"}}, "timing"),
    ],
)
async def test_bad_hook_definitions_are_422(api: Api, change: dict[str, Any], needle: str) -> None:
    body = {
        "name": "h",
        "verification": "github",
        "template": TEMPLATE,
        "destinations": ["mastodon"],
        **change,
    }
    status, answer, _ = await api.call("POST", "/api/v1/hooks", json=body)
    assert status == 422, answer
    assert needle in json.dumps(answer), answer
    assert await count_rows("api_hooks") == 0


async def test_hook_bodies_over_the_limit_and_floods_are_refused(api: Api) -> None:
    hook, secret = await make_hook(api, "token", template="{{ msg }}")
    server, http, _ = await start_api(
        api.rt, api.crew, ApiConfig(json_limit=100, hook_rate_limit=2)
    )
    url = str(server.make_url(f"/hooks/{hook['id']}"))
    headers = {"X-Outpost-Token": secret}
    try:
        async with http.post(url, data=b'{"msg": "' + b"x" * 200 + b'"}', headers=headers) as r:
            assert r.status == 413
            assert "larger than 100 bytes" in (await r.json())["error"]["message"]
        # Only verified deliveries count toward the hook's limit; the 413 above did not.
        for text in (b"hi", b"hello"):
            async with http.post(url, data=b'{"msg": "' + text + b'"}', headers=headers) as r:
                assert r.status == 201
        async with http.post(url, data=b'{"msg": "hey"}', headers=headers) as r:
            assert r.status == 429
            assert int(r.headers["Retry-After"]) >= 1
    finally:
        await http.close()
        await server.close()
    assert await count_rows("scheduled_posts") == 2
