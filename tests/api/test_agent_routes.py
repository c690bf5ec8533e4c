"""The REST routes agents need: edits of destinations and media (refused once a destination
has published), revisions (one of two concurrent edits wins, the other gets 409 with the
current revision), dry runs, publish-now, media by URL, search and cursor pages, token expiry,
and Idempotency-Key on edits."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from scheduler.api_tokens import create_token
from tests.api.conftest import Api
from tests.api.test_posts import create, later
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from tests.support import set_clock, wait_for

SECOND = "@second@fake.social"


async def second_account(api: Api, mastodon: FakeMastodon) -> None:
    await api.rt.workspaces.add_account(
        api.crew.workspace.id,
        "mastodon",
        SECOND,
        api.rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )


async def upload_by_url(api: Api, url: str) -> tuple[int, Any]:
    status, body, _ = await api.call("POST", "/api/v1/media/from-url", json={"url": url})
    return status, body


async def test_media_by_url_is_sniffed_and_stored_once(api: Api, files: str) -> None:
    status, media = await upload_by_url(api, files + "/cat.png")
    assert status == 201, media
    assert media["content_type"] == "image/png"
    assert media["filename"].startswith("cat")
    status, again = await upload_by_url(api, files + "/cat.png")
    assert again["id"] == media["id"]
    status, page = await upload_by_url(api, files + "/page.html")
    assert status == 422, page
    status, missing = await upload_by_url(api, files + "/nothing.png")
    assert status == 422
    assert "HTTP 404" in missing["error"]["message"]
    assert await count_rows("media_library") == 1


async def test_media_by_url_refuses_private_addresses(api: Api) -> None:
    api.rt.settings.allow_private_urls = False
    try:
        status, body = await upload_by_url(api, "http://127.0.0.1:6379/x.png")
        assert status == 422
        assert "private or local address" in body["error"]["message"]
    finally:
        api.rt.settings.allow_private_urls = None
    assert await count_rows("media_library") == 0


async def test_edit_destinations_and_media_then_refused_once_published(
    api: Api, api_worker: object, mastodon: FakeMastodon, files: str
) -> None:
    await second_account(api, mastodon)
    post = await create(api, text="hello", when=later(), destinations=[SECOND])
    _, media = await upload_by_url(api, files + "/cat.png")
    status, edited, resp = await api.call(
        "PATCH",
        f"/api/v1/posts/{post['id']}",
        json={
            "destinations": ["@outpost@fake.social", SECOND],
            "media": [{"id": media["id"], "alt": "a red square"}],
        },
    )
    assert status == 200, edited
    assert sorted(d["handle"] for d in edited["destinations"]) == ["@outpost@fake.social", SECOND]
    assert [(m["id"], m["alt"]) for m in edited["media"]] == [(media["id"], "a red square")]
    assert resp.headers["ETag"] == f'"{edited["revision"]}"'
    status, fewer, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"destinations": [SECOND], "media": []}
    )
    assert status == 200, fewer
    assert [d["handle"] for d in fewer["destinations"]] == [SECOND]
    assert fewer["media"] == []

    status, now, _ = await api.call("POST", f"/api/v1/posts/{post['id']}/publish-now")
    assert status == 200, now

    async def published() -> bool:
        _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
        return bool(got["status"] == "published")

    await wait_for(published, timeout=20)
    assert len(mastodon.statuses) == 1
    status, refused, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"destinations": ["@outpost@fake.social"]}
    )
    assert status == 409, refused
    assert "has published or is publishing" in refused["error"]["message"]
    status, refused, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"media": [media["id"]]}
    )
    assert status == 409
    _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert [d["handle"] for d in got["destinations"]] == [SECOND]


async def test_concurrent_edits_one_wins_the_other_gets_the_current_revision(api: Api) -> None:
    post = await create(api, text="v0", when=later(), destinations=["mastodon"])
    base = post["revision"]

    async def edit(text: str) -> tuple[int, Any]:
        status, body, _ = await api.call(
            "PATCH", f"/api/v1/posts/{post['id']}", json={"text": text, "revision": base}
        )
        return status, body

    results = await asyncio.gather(edit("from agent A"), edit("from agent B"))
    assert sorted(s for s, _ in results) == [200, 409], results
    won = next(b for s, b in results if s == 200)
    lost = next(b for s, b in results if s == 409)
    assert lost["error"]["code"] == "revision_conflict"
    assert lost["error"]["current_revision"] == won["revision"]
    _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert got["text"] == won["text"]
    # If-Match says the same; a stale one is refused, the current one passes.
    status, body, resp = await api.call(
        "PATCH",
        f"/api/v1/posts/{post['id']}",
        json={"text": "late"},
        headers={"If-Match": f'"{base}"'},
    )
    assert status == 409
    assert resp.headers["ETag"] == f'"{won["revision"]}"'
    status, body, _ = await api.call(
        "PATCH",
        f"/api/v1/posts/{post['id']}",
        json={"text": "fresh"},
        headers={"If-Match": f'"{won["revision"]}"'},
    )
    assert status == 200, body
    status, body, _ = await api.call(
        "POST",
        f"/api/v1/posts/{post['id']}/reschedule",
        json={"when": later(5), "revision": base},
    )
    assert status == 409


async def test_dry_run_create_and_edit_store_nothing(api: Api) -> None:
    status, shown, _ = await api.call(
        "POST", "/api/v1/posts", json={"request": "tomorrow 9am to mastodon: hi", "dry_run": True}
    )
    assert status == 200, shown
    assert shown["dry_run"] is True
    assert shown["ok"] is True
    assert shown["destinations"][0]["text"] == "hi"
    assert shown["destinations"][0]["limit"] == 500
    status, bad, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"text": "x" * 501, "when": later(), "destinations": ["mastodon"], "dry_run": True},
    )
    assert status == 200
    assert bad["ok"] is False
    assert "501" in bad["destinations"][0]["problems"][0]
    assert await count_rows("scheduled_posts") == 0

    post = await create(api, text="kept", when=later(), destinations=["mastodon"])
    status, shown, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"text": "maybe", "dry_run": True}
    )
    assert status == 200
    assert shown["text"] == "maybe"
    _, got, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert got["text"] == "kept"
    assert got["revision"] == post["revision"]


async def test_search_and_cursor_pages(api: Api) -> None:
    made = [
        await create(api, text=f"{word} {i}", when=later(1 + i), destinations=["mastodon"])
        for i, word in enumerate(["Launch", "sale", "launch", "news", "LAUNCH"])
    ]
    status, found, _ = await api.call("GET", "/api/v1/posts?q=launch")
    assert [p["id"] for p in found["items"]] == [made[0]["id"], made[2]["id"], made[4]["id"]]
    seen: list[str] = []
    cursor = ""
    while True:
        status, page, _ = await api.call("GET", f"/api/v1/posts?limit=2{cursor}")
        assert status == 200, page
        seen += [p["id"] for p in page["items"]]
        if page["next_cursor"] is None:
            break
        # A post added before the cursor does not shift what comes next.
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [p["id"] for p in made]
    status, bad, _ = await api.call("GET", "/api/v1/posts?cursor=nonsense")
    assert status == 422
    assert "cursor" in bad["error"]["message"]


async def test_expired_tokens_are_refused_with_a_clear_401(api: Api) -> None:
    status, made, _ = await api.call(
        "POST", "/api/v1/tokens", json={"name": "agent", "scopes": ["read"], "expires_in": "1h"}
    )
    assert status == 201, made
    assert made["info"]["expires_at"] is not None
    status, _, _ = await api.call("GET", "/api/v1/posts", token=made["token"])
    assert status == 200
    set_clock(api.rt, api.rt.clock.now() + timedelta(hours=1, seconds=1))
    status, body, _ = await api.call("GET", "/api/v1/posts", token=made["token"])
    assert status == 401
    assert body["error"]["code"] == "token_expired"
    assert "expired at" in body["error"]["message"]
    token, view = await create_token(api.rt, api.crew.workspace.id, "forever", ["read"])
    assert view.expires_at is None
    status, _, _ = await api.call("GET", "/api/v1/posts", token=token)
    assert status == 200


async def test_idempotency_key_on_edits(api: Api) -> None:
    post = await create(api, text="one", when=later(), destinations=["mastodon"])
    key = {"Idempotency-Key": "edit-42"}
    path = f"/api/v1/posts/{post['id']}"
    status, first, _ = await api.call("PATCH", path, json={"text": "two"}, headers=key)
    assert status == 200
    status, again, resp = await api.call("PATCH", path, json={"text": "two"}, headers=key)
    assert status == 200
    assert again == first
    assert resp.headers["Idempotent-Replayed"] == "true"
    _, got, _ = await api.call("GET", path)
    assert got["revision"] == first["revision"]  # the replay changed nothing
    status, other, _ = await api.call("PATCH", path, json={"text": "three"}, headers=key)
    assert status == 409
    assert other["error"]["code"] == "idempotency_key_reused"
