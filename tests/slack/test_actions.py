"""Buttons and the Edit time modal, pressed as Slack delivers them."""

from __future__ import annotations

import json
import uuid

from tests.fakes.mastodon import FakeMastodon
from tests.slack.conftest import CHANNEL, TEAM, SlackHarness
from tests.slack.test_commands import _until


async def _scheduled(
    slack: SlackHarness, text: str = "tomorrow 9am to mastodon: Hi"
) -> tuple[str, str]:
    before = len(slack.fake.messages)
    await slack.command(text)
    await _until(lambda: len(slack.fake.messages) > before)
    summary = slack.fake.messages[-1]
    return summary["text"].rsplit("id: ", 1)[1].strip(), summary["ts"]


async def test_cancel_updates_summary_and_stranger_changes_nothing(
    connected: SlackHarness,
) -> None:
    slack, fake = connected, connected.fake
    post_id, ts = await _scheduled(slack)
    fake.add_user("U0000EVE9", team_id="T0000EVE")
    stranger = slack.button("cancel", post_id, team="T0000EVE", user="U0000EVE9", ts=ts)
    assert (await slack.interactive(stranger)).status == 200
    await _until(lambda: fake.responses)
    assert "No post" in fake.responses[0]["text"]
    assert fake.responses[0]["response_type"] == "ephemeral"
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).status == "scheduled"
    assert fake.calls("chat.update") == []
    assert (await slack.interactive(slack.button("cancel", post_id, ts=ts))).status == 200
    await _until(lambda: fake.calls("chat.update"))
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).status == "cancelled"
    summary = fake.message(CHANNEL, ts)
    assert summary["text"].startswith("🚫 Cancelled by <@")
    assert not [b for b in summary["blocks"] if b["type"] == "actions"]


async def test_post_now_publishes_and_replies_in_thread(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    post_id, ts = await _scheduled(slack, "next monday 9am to mastodon: Early bird")
    await slack.interactive(slack.button("post_now", post_id, ts=ts))
    # The notifier replies in the thread first and then edits the summary: wait for both.
    await _until(lambda: fake.message(CHANNEL, ts)["text"].startswith("✅ Published"))
    assert len(mastodon.statuses) == 1
    assert [m["text"][:11] for m in fake.thread(CHANNEL, ts)] == ["✅ Published"]


async def test_failure_reply_has_reason_and_retry_button(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    mastodon.tokens.clear()
    post_id, ts = await _scheduled(slack, "now to mastodon: Will fail")
    await _until(lambda: fake.thread(CHANNEL, ts))
    reply = fake.thread(CHANNEL, ts)[0]
    assert reply["text"].startswith("❌ Not published")
    assert "Reconnect" in reply["text"]
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [f"outpost:retry:{post_id}"]
    mastodon.tokens.add("good-token")
    # A 401 marks the account for reconnecting; connecting it again makes Retry work.
    ws = await slack.rt.workspaces.ensure(f"slack:{TEAM}")
    acc = (await slack.rt.workspaces.accounts(ws.id))[0]
    assert acc.status == "reconnect"
    await slack.rt.workspaces.add_account(
        ws.id, acc.platform, acc.handle, slack.rt.cipher.encrypt("good-token"),
        base_url=acc.base_url,
    )
    await slack.interactive(slack.button("retry", post_id, ts=reply["ts"]))
    await _until(lambda: len(fake.thread(CHANNEL, ts)) == 2, timeout=30)
    assert fake.thread(CHANNEL, ts)[1]["text"].startswith("✅ Published")


async def test_edit_time_modal_moves_the_post(connected: SlackHarness) -> None:
    slack, fake = connected, connected.fake
    post_id, ts = await _scheduled(slack)
    await slack.interactive(slack.button("edit_time", post_id, ts=ts))
    await _until(lambda: fake.calls("views.open"))
    view = json.loads(fake.calls("views.open")[0]["view"]) if isinstance(
        fake.calls("views.open")[0]["view"], str) else fake.calls("views.open")[0]["view"]
    assert view["callback_id"] == "outpost_edit_time"
    before = (await slack.rt.posts.get(uuid.UUID(post_id))).scheduled_at

    def submission(phrase: str, n: int) -> dict[str, object]:
        return {
            "type": "view_submission", "team": {"id": TEAM},
            "user": {"id": "U0000AAA1", "team_id": TEAM}, "api_app_id": "A0OUTPOST",
            "trigger_id": f"sub.{n}", "view": {
                **view, "id": f"V00000000{n}", "hash": f"h{n}",
                "state": {"values": {"when": {"phrase": {"type": "plain_text_input",
                                                         "value": phrase}}}},
            },
        }

    await slack.interactive(submission("whenever you like", 1))
    await _until(lambda: fake.ephemeral)
    assert "couldn't schedule" in fake.ephemeral[0]["text"]
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).scheduled_at == before
    await slack.interactive(submission("tomorrow 10am", 2))
    await _until(lambda: fake.calls("chat.update"))
    after = await slack.rt.posts.get(uuid.UUID(post_id))
    assert after.scheduled_at != before
    assert "10:00" in fake.message(CHANNEL, ts)["text"]
