"""Five networks' fakes and a workspace connected to all of them, for thread and comment tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from scheduler.runtime import Runtime
from storage.views import AccountView, WorkspaceView
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX


@dataclass
class Fakes:
    """One fake per network that takes a first comment."""

    x: FakeX
    bluesky: FakeBluesky
    mastodon: FakeMastodon
    linkedin: FakeLinkedIn
    graph: FakeGraph

    def all(self) -> tuple[Any, ...]:
        return (self.x, self.bluesky, self.mastodon, self.linkedin, self.graph)


@asynccontextmanager
async def running() -> AsyncIterator[Fakes]:
    """All five fakes listening on free ports."""
    fakes = Fakes(FakeX(), FakeBluesky(), FakeMastodon(), FakeLinkedIn(), FakeGraph())
    fakes.graph.container_polls = 0
    # Reading a post's comments back (after an ambiguous comment) needs this on LinkedIn.
    fakes.linkedin.token_scopes["li-token"].add("r_organization_social")
    for fake in fakes.all():
        await fake.start()
    try:
        yield fakes
    finally:
        for fake in fakes.all():
            await fake.stop()


async def connect(rt: Runtime, fakes: Fakes, name: str = "steps") -> tuple[
    WorkspaceView, dict[str, AccountView]
]:  # fmt: skip
    """A workspace with one account on each fake, as each network's publisher needs it."""
    ws = await rt.workspaces.create(name, "UTC")
    enc = rt.cipher.encrypt
    li = fakes.linkedin
    made = {
        "x": await rt.workspaces.add_account(ws.id, "x", "outpost", enc("x-user-token"),
                                             base_url=fakes.x.url),
        "bluesky": await rt.workspaces.add_account(
            ws.id, "bluesky", "@" + fakes.bluesky.handle, enc(fakes.bluesky.password),
            base_url=fakes.bluesky.url),
        "mastodon": await rt.workspaces.add_account(
            ws.id, "mastodon", "@outpost@fake.social", enc("good-token"),
            base_url=fakes.mastodon.url),
        "linkedin": await rt.workspaces.add_account(
            ws.id, "linkedin", "acme-corp", enc("li-token"), base_url=li.url,
            settings={"author": f"urn:li:organization:{li.org_id}", "web_url": li.url}),
        "facebook": await rt.workspaces.add_account(
            ws.id, "facebook", "acme", enc(fakes.graph.page_token), base_url=fakes.graph.url,
            settings={"page_id": fakes.graph.page_id}),
    }  # fmt: skip
    return ws, made


def posts_of(fakes: Fakes, network: str) -> list[str]:
    """The texts of the posts (not replies, not comments) on a network's fake."""
    if network == "x":
        return [p["_sent_text"] for p in fakes.x.posts if not p["in_reply_to"]]
    if network == "bluesky":
        return [r["value"]["text"] for r in _records(fakes) if "reply" not in r["value"]]
    if network == "mastodon":
        return [s["text"] for s in fakes.mastodon.statuses if not s["in_reply_to_id"]]
    if network == "linkedin":
        return [p["commentary"] for p in fakes.linkedin.posts]
    return [p["message"] for p in fakes.graph.posts]


def comments_of(fakes: Fakes, network: str) -> list[tuple[str, str]]:
    """(text, what it answers) of each reply or comment on a network's fake, in order."""
    if network == "x":
        return [(p["_sent_text"], p["in_reply_to"]) for p in fakes.x.posts if p["in_reply_to"]]
    if network == "bluesky":
        return [(r["value"]["text"], r["value"]["reply"]["parent"]["uri"])
                for r in _records(fakes) if "reply" in r["value"]]  # fmt: skip
    if network == "mastodon":
        return [(s["text"], s["in_reply_to_id"]) for s in fakes.mastodon.statuses
                if s["in_reply_to_id"]]  # fmt: skip
    if network == "linkedin":
        return [(c["message"]["text"], c["object"]) for c in fakes.linkedin.comments]
    return [(c["message"], c["_on"]) for c in fakes.graph.comments]


def _records(fakes: Fakes) -> list[dict[str, Any]]:
    return [fakes.bluesky.records[k] for k in fakes.bluesky.created_keys()]
