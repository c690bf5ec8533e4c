"""Roles, drafts and approval through the real Slack adapter, a fake Slack and a real worker."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from core.states import Role
from scheduler.approval import expire_overdue
from scheduler.service import Scheduler
from storage.db import _plain_dsn
from tests.fakes.mastodon import FakeMastodon
from tests.slack.conftest import CHANNEL, TEAM, USER, SlackHarness
from tests.slack.test_commands import _until
from tests.support import TEST_DB, wait_for

LEAD, SECOND = "U0000LEAD1", "U0000LEAD2"


async def asyncpg_execute(sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _said(slack: SlackHarness, text: str, user: str = USER) -> str:
    """Send ``/schedule text`` and return the ephemeral answer's text."""
    before = len(slack.fake.responses)
    assert (await slack.command(text, user=user)).status == 200
    await _until(lambda: len(slack.fake.responses) > before)
    return str(slack.fake.responses[-1]["text"])


async def _team_with_approval(slack: SlackHarness) -> None:
    """LEAD writes first (owner), USER then (editor); LEAD turns approval on."""
    slack.fake.add_user(LEAD)
    await _said(slack, "posts", user=LEAD)
    await _said(slack, "posts")
    assert "Approval is on" in await _said(slack, "approval on", user=LEAD)


async def _pending(slack: SlackHarness, text: str) -> tuple[str, str]:
    """USER schedules ``text``: its post id and the summary's ts."""
    before = len(slack.fake.messages)
    await slack.command(text)
    await _until(lambda: [m for m in slack.fake.messages[before:] if m["channel"] == CHANNEL])
    summary = next(m for m in slack.fake.messages[before:] if m["channel"] == CHANNEL)
    post_id = summary["text"].rsplit("id: ", 1)[1].strip()
    return post_id, summary["ts"]


async def test_an_editors_post_waits_for_approve_in_the_approvers_dm(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    await _team_with_approval(slack)
    post_id, ts = await _pending(slack, "now to mastodon: Needs a look")
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).status == "pending_approval"
    assert "Waiting for approval" in fake.message(CHANNEL, ts)["text"]
    # The approver is asked in a DM, with Approve / Edit / Reject; the editor is not.
    await _until(lambda: [m for m in fake.messages if m["channel"] == LEAD])
    ask = next(m for m in fake.messages if m["channel"] == LEAD)
    actions = next(b for b in ask["blocks"] if b["type"] == "actions")["elements"]
    assert [e["action_id"].split(":")[1] for e in actions] == ["approve", "edit", "reject"]
    assert not [m for m in fake.messages if m["channel"] == USER]
    await asyncio.sleep(1.5)  # its time has come, and nothing went out
    assert mastodon.statuses == []
    # The editor cannot approve their own post.
    await slack.interactive(slack.button("approve", post_id))
    await _until(lambda: fake.responses and "owners and admins" in fake.responses[-1]["text"])
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).status == "pending_approval"
    await slack.interactive(slack.button("approve", post_id, user=LEAD))
    await _until(lambda: len(mastodon.statuses) == 1)
    # The author hears it in the thread: approved, then published.
    await _until(lambda: any("Published" in m["text"] for m in fake.thread(CHANNEL, ts)))
    assert "Approved by" in fake.thread(CHANNEL, ts)[0]["text"]
    assert any("Approved by" in r["text"] for r in fake.responses)
    history = await slack.rt.approvals.history(uuid.UUID(post_id))
    assert [h.decision for h in history] == ["requested", "approved"]


async def test_reject_tells_the_author_why_in_the_thread(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    await _team_with_approval(slack)
    post_id, ts = await _pending(slack, "tomorrow 9am to mastodon: Teh typo")
    # The editor's Reject is refused; the approver's opens a form asking for the reason.
    await slack.interactive(slack.button("reject", post_id))
    await _until(lambda: fake.responses and "owners and admins" in fake.responses[-1]["text"])
    assert fake.calls("views.open") == []
    await slack.interactive(slack.button("reject", post_id, user=LEAD))
    await _until(lambda: fake.calls("views.open"))
    raw = fake.calls("views.open")[0]["view"]
    view = json.loads(raw) if isinstance(raw, str) else raw
    assert view["callback_id"] == "outpost_reject"
    await slack.interactive({
        "type": "view_submission", "team": {"id": TEAM},
        "user": {"id": LEAD, "team_id": TEAM}, "api_app_id": "A0OUTPOST",
        "trigger_id": "sub.1", "view": {
            **view, "id": "V000000001", "hash": "h1",
            "state": {"values": {"reason": {"reason": {"type": "plain_text_input",
                                                       "value": "Fix the typo first"}}}},
        },
    })  # fmt: skip
    await _until(lambda: fake.ephemeral and "Rejected" in fake.ephemeral[-1]["text"])
    await _until(lambda: fake.thread(CHANNEL, ts))
    told = fake.thread(CHANNEL, ts)[-1]["text"]
    assert "Rejected by" in told
    assert "Fix the typo first" in told
    assert (await slack.rt.posts.get(uuid.UUID(post_id))).status == "draft"
    assert mastodon.statuses == []


async def test_two_approvers_tapping_at_once_approve_once(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    await _team_with_approval(slack)
    fake.add_user(SECOND)
    await _said(slack, "posts", user=SECOND)
    assert "is now admin" in await _said(slack, f"role <@{SECOND}> admin", user=LEAD)
    post_id, _ts = await _pending(slack, "now to mastodon: Race")
    before = len(fake.responses)
    await asyncio.gather(
        slack.interactive(slack.button("approve", post_id, user=LEAD)),
        slack.interactive(slack.button("approve", post_id, user=SECOND)),
    )
    await _until(lambda: len(fake.responses) >= before + 2)
    await _until(lambda: len(mastodon.statuses) >= 1)
    await asyncio.sleep(1)
    assert len(mastodon.statuses) == 1
    texts = [r["text"] for r in fake.responses[before:]]
    assert sum("Approved by" in t for t in texts) == 1
    assert sum("Already approved" in t for t in texts) == 1


async def test_viewers_cannot_schedule_and_drafts_are_saved_listed_and_scheduled(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack = connected
    slack.fake.add_user(LEAD)
    await _said(slack, "posts", user=LEAD)  # owner
    assert "Members:" in await _said(slack, "role", user=LEAD)
    saved = await _said(slack, "draft to mastodon: Someday maybe")
    assert "Draft saved (no time yet)" in saved
    listed = await _said(slack, "drafts")
    assert "Someday maybe" in listed
    draft_id = saved.rsplit("id: ", 1)[1].strip()
    assert (await slack.rt.posts.get(uuid.UUID(draft_id))).status == "draft"
    # An editor cannot change roles; the owner can.
    assert "owners and admins" in await _said(slack, f"role <@{LEAD}> viewer")
    assert "is now viewer" in await _said(slack, f"role <@{USER}> viewer", user=LEAD)
    refused = await _said(slack, "tomorrow 9am to mastodon: Sneaky")
    assert "viewer" in refused
    assert len(await slack.rt.posts.search((await slack.rt.workspaces.by_name(
        "slack:T0001")).id)) == 1  # only the draft: nothing stored for the viewer
    # Viewers can still look.
    assert "Someday maybe" in await _said(slack, "drafts")
    assert "is now editor" in await _said(slack, f"role <@{USER}> editor", user=LEAD)
    scheduled = await _said(slack, f"schedule {draft_id[:8]} now")
    assert "Scheduled" in scheduled
    await _until(lambda: len(mastodon.statuses) == 1)
    assert mastodon.statuses[0]["text"] == "Someday maybe"


async def test_a_waiting_post_past_its_time_returns_to_draft_and_the_author_is_told(
    connected: SlackHarness, mastodon: FakeMastodon
) -> None:
    slack, fake = connected, connected.fake
    await _team_with_approval(slack)
    post_id, ts = await _pending(slack, "tomorrow 9am to mastodon: Nobody looks")
    # The Edit button answers the approver with a calendar link to the post's page.
    await slack.interactive(slack.button("edit", post_id, user=LEAD))
    await _until(lambda: "/login/" in fake.responses[-1]["text"])
    assert await expire_overdue(slack.rt) == 0
    # Its time comes while nobody approves it (the clock moved past it and the grace).
    await asyncpg_execute(
        "UPDATE scheduled_posts SET scheduled_at = now() - interval '2 minutes' WHERE id = $1",
        uuid.UUID(post_id),
    )
    await expire_overdue(slack.rt)  # what the worker's cron entry runs (it may have run first)

    async def drafted() -> bool:
        return (await slack.rt.posts.get(uuid.UUID(post_id))).status == "draft"

    await wait_for(drafted, timeout=20)
    await _until(lambda: fake.thread(CHANNEL, ts))
    assert "Nobody approved it before its time" in fake.thread(CHANNEL, ts)[-1]["text"]
    assert mastodon.statuses == []
    # Approving it now says why not.
    await slack.interactive(slack.button("approve", post_id, user=LEAD))
    await _until(lambda: "draft again" in fake.responses[-1]["text"])


async def test_a_post_from_the_api_asks_the_slack_approvers_in_their_dms(
    connected: SlackHarness,
) -> None:
    slack, fake = connected, connected.fake
    await _team_with_approval(slack)
    ws = await slack.rt.workspaces.by_name("slack:T0001")
    post = await Scheduler(slack.rt).schedule(
        ws.id, "tomorrow 9am to mastodon: From a script", tz="UTC",
        origin={"platform": "api"}, role=Role.EDITOR,
    )  # fmt: skip
    assert post.status == "pending_approval"
    await _until(lambda: [m for m in fake.messages if m["channel"] == LEAD])
    ask = next(m for m in fake.messages if m["channel"] == LEAD)
    assert "From a script" in ask["text"]
