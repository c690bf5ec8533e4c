"""DMs and mentions with files: downloaded with the bot token, stored, attached; thread replies."""

from __future__ import annotations

import io
import time
import uuid

from PIL import Image

from tests.helpers import count_rows
from tests.slack.conftest import CHANNEL, TEAM, USER, SlackHarness
from tests.slack.test_commands import _until
from tests.support import wait_for

DM = "D0000DM001"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def message(text: str, channel: str = DM, files: list[dict[str, object]] | None = None,
            kind: str = "message") -> dict[str, object]:
    event: dict[str, object] = {
        "type": kind, "channel": channel, "user": USER, "text": text, "team": TEAM,
        "ts": f"{time.time():.6f}", "channel_type": "im" if channel == DM else "channel",
        "event_ts": f"{time.time():.6f}",
    }
    if files:
        event.update(files=files, subtype="file_share")
    return event


async def test_dm_with_photo_is_stored_and_attached(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    shared = fake.add_file("launch.png", png(), "image/png")
    event = message("tomorrow 9am to mastodon: New office!", files=[shared])
    assert (await slack.event(event, event_id="Ev0PHOTO1")).status == 200
    await _until(lambda: fake.messages)
    downloads = [r for r in fake.requests if r.path.startswith("/files-pri/")]
    assert [r.headers["Authorization"] for r in downloads] == ["Bearer xoxb-good"]
    summary = fake.messages[0]
    assert (summary["channel"], summary["thread_ts"]) == (DM, event["ts"])
    assert "1 file" in summary["text"]
    post_id = uuid.UUID(summary["text"].rsplit("id: ", 1)[1].strip())

    async def summary_recorded() -> bool:  # the ts is stored just after Slack answers
        return "summary_ts" in (await slack.rt.posts.get(post_id)).origin

    await wait_for(summary_recorded, timeout=10)
    post = await slack.rt.posts.get(post_id)
    assert [m.content_type for m in post.media] == ["image/png"]
    assert await slack.rt.media.exists(post.media[0].storage_key)
    assert post.origin["thread_ts"] == event["ts"]
    assert post.origin["summary_ts"] == summary["ts"]
    # Slack's retry of the same event changes nothing.
    again = await slack.event(event, event_id="Ev0PHOTO1", headers={"X-Slack-Retry-Num": "1"})
    assert again.status == 200
    await slack.event(message("posts"), event_id="Ev0POSTS2")
    await _until(lambda: len(fake.messages) == 2)
    assert await count_rows("scheduled_posts") == 1
    assert len([r for r in fake.requests if r.path.startswith("/files-pri/")]) == 1


async def test_mention_in_channel_replies_in_its_thread(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    event = message("<@UBOT00001> tomorrow 9am to mastodon: From a channel", channel=CHANNEL,
                    kind="app_mention")
    await slack.event(event)
    await _until(lambda: fake.messages)
    assert fake.messages[0]["thread_ts"] == event["ts"]
    assert "From a channel" in fake.messages[0]["text"]
    await slack.event(message("<@UBOT00001> to mastodon: no time", channel=CHANNEL,
                              kind="app_mention"))
    await _until(lambda: fake.ephemeral)
    assert "couldn't schedule" in fake.ephemeral[0]["text"]
    assert fake.ephemeral[0]["user"] == USER


async def test_unusable_files_are_refused_without_a_trace(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    huge = fake.add_file("film.mp4", b"\x00" * 64, "video/mp4", size=600 * 1024 * 1024)
    await slack.event(message("tomorrow 9am to mastodon: Too big", files=[huge]))
    await _until(lambda: fake.messages)
    assert "600 MB" in fake.messages[0]["text"]
    assert not [r for r in fake.requests if r.path.startswith("/files-pri/")]
    pdf = fake.add_file("deck.pdf", b"%PDF-1.7\n" + b"x" * 200, "application/pdf")
    await slack.event(message("tomorrow 9am to mastodon: A deck", files=[pdf]))
    await _until(lambda: len(fake.messages) == 2)
    assert "can't read this file" in fake.messages[1]["text"].lower()
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("media_library") == 0


async def test_bot_and_edited_messages_are_ignored(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    own = {**message("tomorrow 9am to mastodon: echo"), "bot_id": "BBOT00001"}
    edited = {**message("tomorrow 9am to mastodon: edit"), "subtype": "message_changed"}
    for event in (own, edited):
        assert (await slack.event(event)).status == 200
    await slack.event(message("help"))
    await _until(lambda: fake.messages)
    assert len(fake.messages) == 1
    assert "Schedule a post" in fake.messages[0]["text"]
