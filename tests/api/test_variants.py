"""Issue #19 through the REST API: `variants` on create and PATCH, each checked against its own
network; the `dry_run` preview per destination (its text, parts and counts, X's link flag, the
first comment or a note that the network has none); `---` parts; nothing stored by a preview."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Api
from tests.api.test_posts import create, later
from tests.fakes.x import FakeX
from tests.helpers import count_rows
from tests.input.support import connect_x, xnet

__all__ = ["xnet"]  # a fixture
POSTS = "/api/v1/posts"


async def _with_x_and_discord(api: Api, fake: FakeX) -> None:
    ws = api.crew.workspace.id
    await connect_x(api.rt, ws, fake)
    await api.rt.workspaces.add_account(
        ws, "discord", "launch-room", api.rt.cipher.encrypt(""),
        base_url="https://discord.example/api/webhooks/1/abc",
    )  # fmt: skip


def by_platform(preview: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["platform"]: d for d in preview["destinations"]}


async def test_variants_are_stored_and_checked_per_network(api: Api, xnet: FakeX) -> None:
    await _with_x_and_discord(api, xnet)
    post = await create(
        api, text="Main", when=later(), destinations=["x", "mastodon"],
        variants={"twitter": "Short for X", "mastodon": "Longer for Mastodon"},
    )  # fmt: skip
    assert post["variants"] == {"x": "Short for X", "mastodon": "Longer for Mastodon"}
    status, bad, _ = await api.call("POST", POSTS, json={
        "text": "Main", "when": later(), "destinations": ["x", "mastodon"],
        "variants": {"x": "a" * 281, "mastodon": "fine"},
    })  # fmt: skip
    assert status == 422, bad
    assert "X allows 280" in bad["error"]["message"]
    assert "Mastodon" not in bad["error"]["message"]
    status, bad, _ = await api.call("POST", POSTS, json={
        "text": "Main", "when": later(), "destinations": ["mastodon"], "variants": {"x": "hi"},
    })  # fmt: skip
    assert status == 422
    assert "There is a version for X, but the post does not go to X" in bad["error"]["message"]
    # The main text may be left out only when every destination has its own version.
    status, bad, _ = await api.call("POST", POSTS, json={
        "when": later(), "destinations": ["x", "mastodon"], "variants": {"x": "hi"},
    })  # fmt: skip
    assert status == 422
    assert "There is no main text for Mastodon" in bad["error"]["message"]
    assert await count_rows("scheduled_posts") == 1
    whole = await create(api, when=later(), destinations=["x", "mastodon"],
                         variants={"x": "For X", "mastodon": "For Mastodon"})  # fmt: skip
    assert whole["text"] == "For X"  # shown; each network gets its own
    status, edited, _ = await api.call(
        "PATCH", f"{POSTS}/{post['id']}", json={"variants": {"x": "Edited for X"}}
    )
    assert status == 200, edited
    assert edited["variants"] == {"x": "Edited for X"}
    status, bad, _ = await api.call(
        "PATCH", f"{POSTS}/{post['id']}", json={"variants": {"x": "b" * 281}}
    )
    assert status == 422
    assert (await api.rt.posts.get(uuid.UUID(post["id"]))).variants == {"x": "Edited for X"}


async def test_dry_run_shows_each_destination_and_stores_nothing(api: Api, xnet: FakeX) -> None:
    await _with_x_and_discord(api, xnet)
    request = ("tomorrow 9am to x, discord, mastodon: Main text\nx: See example.com today\n"
               "first comment: Questions below")  # fmt: skip
    status, shown, _ = await api.call("POST", POSTS, json={"request": request, "dry_run": True})
    assert status == 200, shown
    rows = by_platform(shown)
    assert (rows["x"]["text"], rows["x"]["count"], rows["x"]["has_link"]) == (
        "See example.com today", "33/280", True,
    )  # fmt: skip
    assert rows["mastodon"]["has_link"] is None
    assert rows["x"]["first_comment"] == "Questions below"
    assert rows["discord"]["first_comment"] is None
    assert rows["discord"]["notes"] == ["No first comment on Discord: they have no comments."]
    assert shown["ok"] is True
    thread = "tomorrow 9am to x, discord: One\n---\nTwo two"
    status, shown, _ = await api.call("POST", POSTS, json={"request": thread, "dry_run": True})
    rows = by_platform(shown)
    assert [(p["text"], p["length"]) for p in rows["x"]["parts"]] == [("One", 3), ("Two two", 7)]
    assert rows["x"]["count"] == "3/280 · 7/280"
    assert shown["ok"] is False
    assert "launch-room: Discord has no threads" in rows["discord"]["problems"][0]
    status, shown, _ = await api.call("POST", POSTS, json={
        "text": "Main", "when": later(), "destinations": ["x"], "dry_run": True,
        "variants": {"x": "https://example.com"},
    })  # fmt: skip
    assert by_platform(shown)["x"]["text"] == "https://example.com"
    assert by_platform(shown)["x"]["has_link"] is True
    assert await count_rows("scheduled_posts") == 0
    # In the chat grammar too: nothing after the colon when every destination has a version.
    whole = "tomorrow 9am to x, mastodon:\nx: For X\nmastodon: For Mastodon"
    status, shown, _ = await api.call("POST", POSTS, json={"request": whole, "dry_run": True})
    assert shown["ok"] is True, shown
    assert [d["text"] for d in shown["destinations"]] == ["For X", "For Mastodon"]
    part = "tomorrow 9am to x, mastodon:\nx: For X"
    status, shown, _ = await api.call("POST", POSTS, json={"request": part, "dry_run": True})
    assert shown["ok"] is False
    assert shown["problems"] == [
        "There is no main text for Mastodon: write it after the colon, or give each destination "
        "its own version (`mastodon: …`)."
    ]
