"""``parts`` and ``first_comment`` through the API: stored, checked per network, edited, and
each destination's steps shown once it is published (issue #19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Api
from tests.fakes.mastodon import FakeMastodon
from tests.support import wait_for

PARTS = ["First, the news.", "Second, the details.", "Third, the thanks."]


def later(hours: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def test_a_thread_with_a_first_comment_publishes_and_shows_its_steps(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    status, post, _ = await api.call("POST", "/api/v1/posts", json={
        "parts": PARTS, "first_comment": "Questions? Reply here.",
        "when": datetime.now(UTC).isoformat(), "destinations": ["mastodon"],
    })  # fmt: skip
    assert status == 201, post
    assert post["parts"] == PARTS
    assert post["text"] == "\n\n".join(PARTS)
    assert post["first_comment"] == "Questions? Reply here."

    async def published() -> bool:
        _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
        return bool(got["status"] == "published")

    await wait_for(published, timeout=20)
    _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    [dest] = got["destinations"]
    assert [(s["kind"], s["status"]) for s in dest["steps"]] == [
        ("post", "sent"), ("part", "sent"), ("part", "sent"), ("comment", "sent")
    ]  # fmt: skip
    statuses = mastodon.statuses
    assert [s["text"] for s in statuses] == [*PARTS, "Questions? Reply here."]
    assert dest["steps"][0]["remote_id"] == statuses[0]["id"] == dest["remote_id"]
    assert [s["in_reply_to_id"] for s in statuses[1:]] == [s["id"] for s in statuses[:-1]]


async def test_each_part_and_the_comment_are_checked_against_the_network(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/posts", json={
        "parts": ["Short.", "x" * 501], "first_comment": "y" * 501, "when": later(),
        "destinations": ["mastodon"],
    })  # fmt: skip
    assert status == 422, body
    assert body["error"]["problems"] == [
        "@outpost@fake.social (part 2 of 2): text is 501 characters; Mastodon allows 500",
        "@outpost@fake.social: the first comment is 501 characters; Mastodon allows 500",
    ]
    status, body, _ = await api.call("POST", "/api/v1/posts", json={
        "parts": ["Fine.", "  "], "when": later(), "destinations": ["mastodon"],
    })  # fmt: skip
    assert status == 422, body
    assert "A part of the thread is empty" in body["error"]["message"]
    status, body, _ = await api.call("POST", "/api/v1/posts", json={
        "text": "hi", "first_comment": 5, "when": later(), "destinations": ["mastodon"],
    })  # fmt: skip
    assert status == 422, body
    assert body["error"]["code"] == "invalid_body"


async def test_parts_and_the_first_comment_can_be_edited(api: Api) -> None:
    status, post, _ = await api.call("POST", "/api/v1/posts", json={
        "text": "One text", "when": later(), "destinations": ["mastodon"],
    })  # fmt: skip
    assert status == 201, post
    assert post["parts"] == []
    assert post["first_comment"] is None
    path = f"/api/v1/posts/{post['id']}"
    status, edited, _ = await api.call("PATCH", path, json={
        "parts": PARTS, "first_comment": "See the comments",
    })  # fmt: skip
    assert status == 200, edited
    assert edited["parts"] == PARTS
    assert edited["text"] == "\n\n".join(PARTS)
    assert edited["first_comment"] == "See the comments"
    status, edited, _ = await api.call("PATCH", path, json={"parts": [], "first_comment": ""})
    assert status == 200, edited
    assert edited["parts"] == []
    assert edited["first_comment"] is None
    status, refused, _ = await api.call("PATCH", path, json={"first_comment": "z" * 501})
    assert status == 422, refused
