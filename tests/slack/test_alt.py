"""Alt text in Slack: `alt:` lines after the text of a DM with files describe them in order; a
real worker sends them as Mastodon's `description` and Bluesky's `alt`; too long or too many is
answered in the thread and stores nothing."""

from __future__ import annotations

import uuid

from tests.alt.support import (
    MASTODON_LIMIT,
    bluesky_alts,
    bluesky_pds,
    connect_bluesky,
    mastodon_descriptions,
    png,
)
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from tests.slack.conftest import TEAM, SlackHarness
from tests.slack.test_commands import _until
from tests.slack.test_events import message
from tests.support import wait_for

ROOM = "A bright room with six desks by a window"
ROOF = "The team on the roof terrace"


async def test_dm_alt_lines_reach_mastodon_and_bluesky(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    ws = await slack.rt.workspaces.ensure(f"slack:{TEAM}", "Europe/Berlin")
    files = [fake.add_file("room.png", png("red"), "image/png"),
             fake.add_file("roof.png", png("blue"), "image/png")]  # fmt: skip
    async with bluesky_pds() as bluesky:
        await connect_bluesky(slack.rt, ws.id, bluesky)
        text = f"now to mastodon, bluesky: Our new office\nalt: {ROOM}\nALT 2: {ROOF}"
        assert (await slack.event(message(text, files=files), event_id="EvALT1")).status == 200
        await _until(lambda: fake.messages)
        summary = fake.messages[0]["text"]
        assert "📎 2 files, 2 with a description (alt text)" in summary
        post_id = uuid.UUID(summary.rsplit("id: ", 1)[1].strip())

        async def published() -> bool:
            return (await slack.rt.posts.get(post_id)).status == "published"

        await wait_for(published, timeout=30)
        assert mastodon_descriptions(mastodon) == [ROOM, ROOF]
        assert bluesky_alts(bluesky) == [ROOM, ROOF]
    post = await slack.rt.posts.get(post_id)
    assert post.content == "Our new office"  # the alt lines are not part of the text
    assert [m.alt for m in post.media] == [ROOM, ROOF]
    assert [s["text"] for s in mastodon.statuses] == ["Our new office"]


async def test_too_long_or_unmatched_alt_is_answered_and_nothing_stored(
    connected: SlackHarness,
) -> None:
    slack, fake = connected, connected.fake
    shared = fake.add_file("room.png", png(), "image/png")
    long_alt = "x" * (MASTODON_LIMIT + 1)
    text = f"tomorrow 9am to mastodon: Our new office\nalt: {long_alt}"
    await slack.event(message(text, files=[shared]), event_id="EvALT2")
    await _until(lambda: fake.messages)
    answer = fake.messages[0]["text"]
    assert "couldn't schedule" in answer
    assert f"a description (alt text) is {MASTODON_LIMIT + 1} characters; Mastodon allows " \
           f"{MASTODON_LIMIT}" in answer  # fmt: skip
    text = f"tomorrow 9am to mastodon: Our new office\nalt: {ROOM}\nalt: {ROOF}"
    await slack.event(message(text, files=[shared]), event_id="EvALT3")
    await _until(lambda: len(fake.messages) == 2)
    assert "for file 2, but 1 file is attached" in fake.messages[1]["text"]
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("post_media") == 0
