"""Slash commands sent as Slack sends them, answered through the fake Web API."""

from __future__ import annotations

from typing import Any

from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from tests.slack.conftest import CHANNEL, USER, SlackHarness
from tests.support import wait_for


async def _until(check: Any, timeout: float = 20) -> None:
    async def probe() -> bool:
        return bool(check())

    await wait_for(probe, timeout=timeout)


async def test_schedule_posts_summary_then_result_in_thread(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    resp = await slack.command("now to mastodon: Doors open 🚪")
    assert resp.status == 200
    assert await resp.text() == ""
    await _until(lambda: fake.messages)
    summary = fake.messages[0]
    assert summary["channel"] == CHANNEL
    assert summary["thread_ts"] is None
    assert "Doors open" in summary["text"]
    actions = next(b for b in summary["blocks"] if b["type"] == "actions")["elements"]
    assert [a["text"]["text"] for a in actions] == ["Cancel", "Edit time", "Post now"]
    assert [c["user"] for c in fake.calls("users.info")] == [USER]
    # The worker publishes to the fake Mastodon, then the result lands in the thread.
    await _until(lambda: fake.thread(CHANNEL, summary["ts"]))
    reply = fake.thread(CHANNEL, summary["ts"])[0]
    assert reply["text"].startswith("✅ Published")
    assert mastodon.statuses[0]["url"] in reply["text"]
    await _until(lambda: fake.calls("chat.update"))
    updated = fake.message(CHANNEL, summary["ts"])
    assert updated["text"].startswith("✅ Published")
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert fake.invalid == []
    # Known now: a second command does not ask users.info again.
    await slack.command("posts")
    await _until(lambda: fake.responses)
    assert len(fake.calls("users.info")) == 1


async def test_commands_answer_privately(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    await slack.command("tomorrow 9am to mastodon: Later")
    await _until(lambda: fake.messages)
    post_id = fake.messages[0]["text"].rsplit("id: ", 1)[1].strip()
    for text in ("posts", "accounts", "help", "timezone America/New_York", "calendar",
                 "connect mastodon"):
        count = len(fake.responses)
        await slack.command(text)
        await _until(lambda n=count + 1: len(fake.responses) == n)
    by_text = [r["text"] for r in fake.responses]
    assert all(r["response_type"] == "ephemeral" for r in fake.responses)
    assert post_id in by_text[0]
    assert "Cancel" in str(fake.responses[0]["blocks"])
    assert "mastodon:@outpost@fake.social" in by_text[1]
    assert "Schedule a post" in by_text[2]
    assert "America/New_York" in by_text[3]
    base = slack.rt.settings.base_url
    assert f"{base}/login/" in by_text[4]
    assert f"{base}/connect/mastodon?link=" in by_text[5]
    assert len(fake.messages) == 1  # only the summary was visible


async def test_bad_requests_change_nothing(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    await slack.command("frobnicate")
    await slack.command("whenever to mastodon: no time here")
    await slack.command("anything", command="/unknown")
    await _until(lambda: len(fake.responses) == 3)
    texts = sorted(r["text"] for r in fake.responses)
    assert any("couldn't schedule" in t and "Try" in t for t in texts)
    assert any("don't know the command “/unknown”" in t for t in texts)
    assert fake.messages == []
    assert await count_rows("scheduled_posts") == 0


async def test_replayed_retry_creates_one_post(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    body = slack.command_body("tomorrow 9am to mastodon: Once", trigger="42.42.replay")
    first = await slack.post(body, "application/x-www-form-urlencoded")
    again = await slack.post(
        body, "application/x-www-form-urlencoded",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert (first.status, again.status) == (200, 200)
    await _until(lambda: fake.messages)
    await _until(lambda: len(fake.requests) >= 3)
    assert await count_rows("scheduled_posts") == 1
    assert len(fake.calls("chat.postMessage")) == 1


async def test_signature_is_checked_before_anything(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    body = slack.command_body("now to mastodon: forged")
    forged = await slack.post(body, "application/x-www-form-urlencoded", signed=False,
                              headers={"X-Slack-Signature": "v0=deadbeef",
                                       "X-Slack-Request-Timestamp": "1700000000"})
    missing = await slack.post(body, "application/x-www-form-urlencoded", signed=False)
    from tests.slack.conftest import sign

    stale = await slack.post(
        body, "application/x-www-form-urlencoded", signed=False,
        headers=sign(body, ts=int(__import__("time").time()) - 600),
    )
    wrong_secret = await slack.post(
        body, "application/x-www-form-urlencoded", signed=False,
        headers=sign(body, secret="not-the-secret"),
    )
    assert [r.status for r in (forged, missing, stale, wrong_secret)] == [401] * 4
    assert fake.requests == []
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("users") == 0
