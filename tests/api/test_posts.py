"""Posts through the REST API: every route, auth and scopes, other workspaces, bad bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler.api_tokens import create_token
from tests.api.conftest import Api
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows, team
from tests.support import wait_for


def later(hours: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def create(api: Api, **body: Any) -> dict[str, Any]:
    status, post, _ = await api.call("POST", "/api/v1/posts", json=body)
    assert status == 201, post
    return dict(post)


async def test_create_from_a_request_sentence(api: Api) -> None:
    post = await create(
        api, request="tomorrow 9am to mastodon: We're live!", callback_url="https://example.com/cb"
    )
    assert post["text"] == "We're live!"
    assert post["status"] == "scheduled"
    assert post["timezone"] == "Europe/Berlin"
    assert post["callback_url"] == "https://example.com/cb"
    assert [d["status"] for d in post["destinations"]] == ["pending"]


async def test_create_from_fields_then_get_edit_reschedule_cancel(api: Api) -> None:
    post = await create(api, text="Weekend sale", when=later(), destinations=["mastodon"])
    status, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert status == 200
    assert got == post
    status, edited, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"text": "Weekend sale: 20% off"}
    )
    assert status == 200
    assert edited["text"] == "Weekend sale: 20% off"
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    status, moved, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/reschedule", json={"when": when.isoformat()}
    )
    assert status == 200
    assert datetime.fromisoformat(moved["scheduled_at"]) == when
    status, cancelled, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/cancel")
    assert status == 200
    assert cancelled["status"] == "cancelled"
    status, again, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/cancel")
    assert status == 409
    assert again["error"]["code"] == "conflict"
    status, retry, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/retry")
    assert status == 409, retry


async def test_retry_after_a_failure(api: Api, api_worker: object, mastodon: FakeMastodon) -> None:
    mastodon.fail_next("422")
    post = await create(
        api, text="Try me", when=datetime.now(UTC).isoformat(), destinations=["mastodon"]
    )

    async def status_is(wanted: str) -> bool:
        return (await api.call("GET", f"/api/v1/posts/{post['id']}"))[1]["status"] == wanted

    await wait_for(lambda: status_is("failed"), timeout=20)
    status, retried, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/retry")
    assert status == 200, retried
    await wait_for(lambda: status_is("published"), timeout=20)
    assert len(mastodon.statuses) == 1


async def test_list_by_window_and_status_with_pagination(api: Api) -> None:
    ids = [
        (await create(api, text=f"n{i}", when=later(i + 1), destinations=["mastodon"]))["id"]
        for i in range(5)
    ]
    await api.call("POST", f"/api/v1/posts/{ids[4]}/cancel")
    status, page, _ = await api.call("GET", "/api/v1/posts", params={"limit": "2"})
    assert status == 200
    assert [p["id"] for p in page["items"]] == ids[:2]
    status, page2, _ = await api.call(
        "GET", "/api/v1/posts", params={"limit": "2", "offset": str(page["next_offset"])}
    )
    assert [p["id"] for p in page2["items"]] == ids[2:4]
    params = [("status", "scheduled"), ("start", later(2.5)), ("end", later(10))]
    status, window, _ = await api.call("GET", "/api/v1/posts", params=params)
    assert [p["id"] for p in window["items"]] == ids[2:4]
    assert window["next_offset"] is None
    status, bad, _ = await api.call("GET", "/api/v1/posts", params={"status": "lost"})
    assert status == 422
    assert "lost" in bad["error"]["message"]
    status, bad, _ = await api.call("GET", "/api/v1/posts", params={"start": "yesterday"})
    assert status == 422, bad


async def test_another_workspaces_post_is_404_everywhere(api: Api) -> None:
    post = await create(api, text="ours", when=later(), destinations=["mastodon"])
    other = await team(api.rt, "globex")
    token, _ = await create_token(api.rt, other.workspace.id, "t", ["read", "write"])
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"text": "theirs"}),
        ("POST", "/reschedule", {"when": later(5)}),
        ("POST", "/cancel", None),
        ("POST", "/retry", None),
        ("GET", "/callbacks", None),
    ]:
        status, answer, _ = await api.call(
            method, f"/api/v1/posts/{post['id']}{suffix}", token=token, json=body
        )
        assert status == 404, (method, suffix, answer)
        assert answer["error"]["code"] == "not_found"
    status, answer, _ = await api.call("GET", "/api/v1/posts/not-a-uuid")
    assert status == 404
    assert (await api.call("GET", f"/api/v1/posts/{post['id']}"))[1]["text"] == "ours"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (b'{"text": "hi",\n "when": }', "line 2, column 10"),
        (b'{"request": "now to mastodon: hi"', "line 1, column 34"),
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
async def test_malformed_json_is_400_saying_where(api: Api, raw: bytes, where: str) -> None:
    status, answer, _ = await api.call(
        "POST", "/api/v1/posts", data=raw, headers={"Content-Type": "application/json"}
    )
    assert status == 400, answer
    assert answer["error"]["code"] == "malformed_json"
    assert where in answer["error"]["message"]
    assert await count_rows("scheduled_posts") == 0


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"text": "hi", "destinations": ["mastodon"]}, "when"),
        ({"request": "now to mastodon: hi", "colour": "red"}, "colour"),
        ({"text": "hi", "when": "2020-01-01T00:00:00Z", "destinations": ["mastodon"]}, "past"),
        ({"text": "hi", "when": "2030-01-01T00:00:00", "destinations": ["mastodon"]}, "offset"),
        ({"text": "hi", "when": later(), "destinations": ["myspace"]}, "myspace"),
        ({"request": "to mastodon: no time"}, "time"),
        (
            {
                "text": "hi",
                "when": later(),
                "destinations": ["mastodon"],
                "media": ["00000000-0000-0000-0000-000000000000"],
            },
            "media",
        ),
        ([1, 2], "object"),
    ],
)
async def test_invalid_bodies_are_422_with_problems(api: Api, body: Any, needle: str) -> None:
    status, answer, _ = await api.call("POST", "/api/v1/posts", json=body)
    assert status == 422, answer
    assert needle in str(answer["error"]).lower()
    assert answer["error"]["problems"]
    assert await count_rows("scheduled_posts") == 0


async def test_tokens_missing_unknown_revoked_and_scopes(api: Api) -> None:
    async with api.http.get(api.url + "/api/v1/posts") as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await resp.json())["error"]["code"] == "unauthenticated"
    status, _, _ = await api.call("GET", "/api/v1/posts", token="op_not-a-real-token")
    assert status == 401
    status, made, _ = await api.call(
        "POST", "/api/v1/tokens", json={"name": "reader", "scopes": ["read"]}
    )
    assert status == 201
    assert made["token"].startswith("op_")
    reader = made["token"]
    assert (await api.call("GET", "/api/v1/posts", token=reader))[0] == 200
    status, answer, _ = await api.call(
        "POST", "/api/v1/posts", token=reader, json={"request": "now to mastodon: hi"}
    )
    assert status == 403
    assert answer["error"]["code"] == "insufficient_scope"
    status, listed, _ = await api.call("GET", "/api/v1/tokens")
    assert {t["name"] for t in listed["items"]} == {"tests", "reader"}
    assert all("token" not in t for t in listed["items"])
    status, _, _ = await api.call("DELETE", f"/api/v1/tokens/{made['info']['id']}")
    assert status == 204
    assert (await api.call("GET", "/api/v1/posts", token=reader))[0] == 401
    status, answer, _ = await api.call(
        "POST", "/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}
    )
    assert status == 422, answer


async def test_openapi_document_needs_no_token(api: Api) -> None:
    async with api.http.get(api.url + "/api/v1/openapi.json") as resp:
        assert resp.status == 200
        assert (await resp.json())["openapi"] == "3.1.0"
