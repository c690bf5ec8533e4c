"""Issue #19 in Slack: per-network versions reach each network, a version too long for X is
refused naming X, a thread is collected from replies until `done` (redeliveries add nothing),
and `preview` shows per destination what would be sent and stores nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from scheduler.chat_threads import save_idle
from scheduler.service import Scheduler
from tests.alt.support import bluesky_pds, connect_bluesky, png
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.x import FakeX
from tests.helpers import count_rows
from tests.input.support import connect_linkedin, connect_x, linkedin, xnet
from tests.slack.conftest import CHANNEL, TEAM, SlackHarness
from tests.slack.test_approval import asyncpg_execute
from tests.slack.test_commands import _until
from tests.slack.test_events import message
from tests.support import TEST_REDIS, wait_for

__all__ = ["linkedin", "xnet"]  # fixtures

SHORT = "Short for X: we are live https://example.com/launch"
LONG = "The longer LinkedIn version\nwith the whole story of the launch"


def post_id_of(text: str) -> uuid.UUID:
    return uuid.UUID(text.rsplit("id: ", 1)[1].strip())


def reply(text: str, root: str) -> dict[str, Any]:
    """A reply in the thread of message ``root`` in the DM."""
    event = message(text)
    event["ts"] = f"{time.time():.6f}"
    event["thread_ts"] = root
    return event


async def _queued(redis: Redis) -> list[bytes]:
    """Redis keys of publish and notify jobs (not the workers' own periodic ones)."""
    keys = await redis.keys("*")
    return sorted(k for k in keys if b":pub:" in k or b":notify:" in k)


async def _workspace(slack: SlackHarness) -> uuid.UUID:
    return (await slack.rt.workspaces.ensure(f"slack:{TEAM}", "Europe/Berlin")).id


async def _connected(slack: SlackHarness, xnet: FakeX, linkedin: FakeLinkedIn) -> None:
    ws = await _workspace(slack)
    await connect_x(slack.rt, ws, xnet)
    await connect_linkedin(slack.rt, ws, linkedin)


async def test_versions_are_stored_and_each_network_gets_its_own(
    slack: SlackHarness, xnet: FakeX, linkedin: FakeLinkedIn
) -> None:
    rt, fake = slack.rt, slack.fake
    await _connected(slack, xnet, linkedin)
    text = f"now to x, linkedin: Main text for everyone\nx: {SHORT}\nlinkedin: {LONG}"
    assert (await slack.event(message(text), event_id="EvVER1")).status == 200
    await _until(lambda: fake.messages)
    summary = fake.messages[0]["text"]
    # The summary shows each destination's own text and its count against the limit.
    assert f"x:outpost — {len(SHORT) - len('https://example.com/launch') + 23}/280" in summary
    assert "has a link (X charges more for posts with links)" in summary
    assert f"linkedin:ada — {len(LONG)}/3000" in summary
    assert f"› {SHORT}" in summary
    post_id = post_id_of(summary)
    stored = await rt.posts.get(post_id)
    assert stored.content == "Main text for everyone"
    assert stored.variants == {"x": SHORT, "linkedin": LONG}

    async def published() -> bool:
        return (await rt.posts.get(post_id)).status == "published"

    await wait_for(published, timeout=30)
    assert [p["_sent_text"] for p in xnet.posts] == [SHORT]
    assert [p["commentary"] for p in linkedin.posts] == [LONG]


async def test_a_version_too_long_for_x_is_refused_naming_x(
    slack: SlackHarness, xnet: FakeX, linkedin: FakeLinkedIn
) -> None:
    fake = slack.fake
    await _connected(slack, xnet, linkedin)
    text = f"tomorrow 9am to x, linkedin: Main\nx: {'a' * 281}\nlinkedin: {LONG}"
    await slack.event(message(text), event_id="EvVER2")
    await _until(lambda: fake.messages)
    answer = fake.messages[0]["text"]
    assert "couldn't schedule" in answer
    assert "outpost: text is 281 characters as X counts them; X allows 280" in answer
    assert "LinkedIn" not in answer
    # A version for a network the post does not go to is refused too.
    await slack.event(message("tomorrow 9am to linkedin: Main\nx: Short"), event_id="EvVER3")
    await _until(lambda: len(fake.messages) == 2)
    assert "There is a version for X, but the post does not go to X" in fake.messages[1]["text"]
    assert await count_rows("scheduled_posts") == 0


async def test_a_five_message_thread_becomes_one_post_of_five_parts(
    slack: SlackHarness, xnet: FakeX
) -> None:
    rt, fake = slack.rt, slack.fake
    ws = await _workspace(slack)
    await connect_x(rt, ws, xnet)
    async with bluesky_pds() as bluesky:
        await connect_bluesky(rt, ws, bluesky)
        photo = fake.add_file("office.png", png(), "image/png")
        opening = message("thread tomorrow 9am to x, bluesky: Part one", files=[photo])
        await slack.event(opening, event_id="EvTH0")
        await _until(lambda: fake.messages)
        assert "Collecting a thread to x:outpost, bluesky:" in fake.messages[0]["text"]
        assert fake.messages[0]["thread_ts"] == opening["ts"]
        root = str(opening["ts"])
        events = [reply(f"Part {n}", root) for n in ("two", "three", "four", "five")]
        for n, event in enumerate(events, start=1):
            await slack.event(event, event_id=f"EvTH{n}")
            await _until(lambda n=n: len(fake.messages) == 1 + n)
        assert fake.messages[-1]["text"].startswith("Part 5 added.")
        # Slack's retry of a reply, and the same message under another event id: no new part.
        await slack.event(events[1], event_id="EvTH2", headers={"X-Slack-Retry-Num": "1"})
        await slack.event(events[1], event_id="EvTH2-again")
        await slack.event(reply("done", root), event_id="EvTHdone")
        await _until(lambda: any("id: " in m["text"] for m in fake.messages))
        summary = next(m for m in fake.messages if "id: " in m["text"])
        assert summary["thread_ts"] == root
        assert "5/5 › Part five" in summary["text"]
        post = await rt.posts.get(post_id_of(summary["text"]))
    assert post.parts == ("Part one", "Part two", "Part three", "Part four", "Part five")
    assert [m.filename for m in post.media] == ["office.png"]  # the first message's file
    assert post.thread is True
    assert post.status == "scheduled"
    assert await count_rows("scheduled_posts") == 1
    # `done` again: already scheduled, nothing new.
    await slack.event(reply("done", root), event_id="EvTHdone2")
    await _until(lambda: any("already scheduled" in m["text"] for m in fake.messages))
    assert await count_rows("scheduled_posts") == 1


async def test_a_five_message_slack_thread_goes_out_as_five_parts_on_x_and_bluesky(
    slack: SlackHarness, xnet: FakeX
) -> None:
    """Issue #19's end to end: five Slack messages, then `done`, published by the real worker
    as a 5-part thread on the X and Bluesky fakes, in order, each part once, and the result
    reported in the Slack thread."""
    rt, fake = slack.rt, slack.fake
    ws = await _workspace(slack)
    await connect_x(rt, ws, xnet)
    parts = ["Part one", "Part two", "Part three", "Part four", "Part five"]
    async with bluesky_pds() as bluesky:
        await connect_bluesky(rt, ws, bluesky)
        opening = message(f"thread now to x, bluesky: {parts[0]}")
        await slack.event(opening, event_id="EvE2E0")
        await _until(lambda: fake.messages)
        root = str(opening["ts"])
        for n, text in enumerate(parts[1:], start=1):
            await slack.event(reply(text, root), event_id=f"EvE2E{n}")
            await _until(lambda n=n: len(fake.messages) == 1 + n)
        await slack.event(reply("done", root), event_id="EvE2Edone")
        await _until(lambda: any("id: " in m["text"] for m in fake.messages))
        summary = next(m for m in fake.messages if "id: " in m["text"])
        post_id = post_id_of(summary["text"])

        async def published() -> bool:
            return (await rt.posts.get(post_id)).status == "published"

        await wait_for(published, timeout=60)
        # X: five tweets, each a reply to the one before.
        assert [p["_sent_text"] for p in xnet.posts] == parts
        assert [p["in_reply_to"] for p in xnet.posts] == [None] + [p["id"] for p in xnet.posts[:-1]]
        # Bluesky: five records, each replying to the one before, all under the first.
        records = [bluesky.records[k]["value"] for k in bluesky.created_keys()]
        assert [r["text"] for r in records] == parts
        uris = bluesky.uris()
        assert [r["reply"]["parent"]["uri"] for r in records[1:]] == uris[:-1]
        assert {r["reply"]["root"]["uri"] for r in records[1:]} == {uris[0]}
        post = await rt.posts.get(post_id)
        for dest in post.destinations:
            assert [s.status for s in dest.steps] == ["sent"] * 5
        # The result goes to the Slack thread where the thread was collected.
        await _until(
            lambda: any(m["text"].startswith("✅ Published") and m.get("thread_ts") == root
                        for m in fake.messages),
            timeout=30,
        )  # fmt: skip
    assert await count_rows("scheduled_posts") == 1


async def test_cancel_drops_a_thread_and_a_network_without_threads_is_refused(
    slack: SlackHarness, xnet: FakeX, linkedin: FakeLinkedIn
) -> None:
    fake = slack.fake
    await _connected(slack, xnet, linkedin)
    await slack.event(message("thread tomorrow 9am to x, linkedin"), event_id="EvTC0")
    await _until(lambda: fake.messages)
    assert "ada: LinkedIn has no threads" in fake.messages[0]["text"]
    opening = message("thread tomorrow 9am to x")
    await slack.event(opening, event_id="EvTC1")
    await _until(lambda: len(fake.messages) == 2)
    too_long = reply("b" * 281, str(opening["ts"]))
    await slack.event(too_long, event_id="EvTC2")
    await _until(lambda: len(fake.messages) == 3)
    assert (
        "outpost (part 1 of 1): text is 281 characters as X counts them" in fake.messages[2]["text"]
    )
    assert "This part was not added" in fake.messages[2]["text"]
    await slack.event(reply("cancel", str(opening["ts"])), event_id="EvTC3")
    await _until(lambda: len(fake.messages) == 4)
    assert fake.messages[3]["text"].startswith("Thread dropped")
    await slack.event(reply("done", str(opening["ts"])), event_id="EvTC4")
    await _until(lambda: len(fake.messages) == 5)
    assert "was cancelled" in fake.messages[4]["text"]
    assert await count_rows("scheduled_posts") == 0


async def test_preview_shows_each_destination_and_stores_nothing(
    slack: SlackHarness, xnet: FakeX, linkedin: FakeLinkedIn
) -> None:
    fake = slack.fake
    await _connected(slack, xnet, linkedin)
    redis = Redis.from_url(TEST_REDIS)
    before = await _queued(redis)
    text = (f"preview tomorrow 9am to x, linkedin: Main text\nx: {SHORT}\nlinkedin: {LONG}\n"
            "first comment: Questions welcome")  # fmt: skip
    await slack.event(message(text), event_id="EvPRE1")
    await _until(lambda: fake.messages)
    shown = fake.messages[0]["text"]
    assert "Preview for" in shown
    assert "nothing is scheduled" in shown
    assert "has a link (X charges more for posts with links)" in shown
    assert f"linkedin:ada — {len(LONG)}/3000" in shown
    assert f"› {LONG.splitlines()[0]}" in shown
    assert "💬 first comment: Questions welcome" in shown
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("chat_threads") == 0
    try:
        assert await _queued(redis) == before == []
        assert [j for j in await redis.zrange("arq:queue", 0, -1) if j.startswith(b"pub:")] == []
    finally:
        await redis.aclose()
    assert xnet.posts == []
    assert linkedin.posts == []


async def test_a_thread_in_a_channel_by_mention_reads_plain_replies_in_its_thread(
    slack: SlackHarness, xnet: FakeX
) -> None:
    rt, fake = slack.rt, slack.fake
    await connect_x(rt, await _workspace(slack), xnet)
    opening = message("<@UBOT00001> thread tomorrow 9am to x: One", CHANNEL, kind="app_mention")
    await slack.event(opening, event_id="EvCH0")
    await _until(lambda: fake.messages)
    assert fake.messages[0]["thread_ts"] == opening["ts"]
    root = str(opening["ts"])
    # A plain reply in that thread arrives as a `message` event only: it is part 2.
    second = {**message("Two", CHANNEL), "thread_ts": root, "ts": f"{time.time():.6f}"}
    await slack.event(second, event_id="EvCH1")
    await _until(lambda: fake.ephemeral)
    assert fake.ephemeral[0]["text"].startswith("Part 2 added.")
    # A reply in some other thread of the channel is not ours to read.
    other = {**message("Unrelated chat", CHANNEL), "thread_ts": "1.000001", "ts": "1.000002"}
    await slack.event(other, event_id="EvCH2")
    # "@Outpost done" comes twice, as app_mention and as message: scheduled once.
    done = message("<@UBOT00001> done", CHANNEL, kind="app_mention")
    done.update(thread_ts=root, ts=f"{time.time():.6f}")
    await slack.event({**done, "type": "message"}, event_id="EvCH3")
    await slack.event(done, event_id="EvCH4")
    await _until(lambda: any("id: " in m["text"] for m in fake.messages))
    summary = next(m for m in fake.messages if "id: " in m["text"])
    assert summary["thread_ts"] == root
    post = await rt.posts.get(post_id_of(summary["text"]))
    assert post.parts == ("One", "Two")
    assert len(fake.ephemeral) == 1
    assert await count_rows("scheduled_posts") == 1


async def test_slash_thread_says_to_start_it_in_a_message(slack: SlackHarness, xnet: FakeX) -> None:
    await connect_x(slack.rt, await _workspace(slack), xnet)
    await slack.command("thread tomorrow 9am to x")
    await _until(lambda: slack.fake.responses)
    assert "Start a thread in a message" in slack.fake.responses[0]["text"]
    assert await count_rows("chat_threads") == 0


async def test_retry_in_the_thread_sends_a_failed_first_comment_once(
    slack: SlackHarness, linkedin: FakeLinkedIn
) -> None:
    """A post that went out with its first comment refused gets Retry in its report; pressing
    it sends the comment, not the post, and reports again in the same thread."""
    rt, fake = slack.rt, slack.fake
    await connect_linkedin(rt, await _workspace(slack), linkedin)
    linkedin.fail_next("none")  # the post
    linkedin.fail_next("422")  # the comment, once
    text = "now to linkedin: We are hiring\nfirst comment: Apply at https://example.com/jobs"
    await slack.event(message(text), event_id="EvRETRY1")
    await _until(lambda: fake.messages)
    post_id = post_id_of(fake.messages[0]["text"])

    def reports() -> list[dict[str, Any]]:
        # Replies in the request's thread (the summary itself is edited to say Published too).
        return [m for m in fake.messages[1:] if m["text"].startswith("✅ Published")]

    await _until(reports, timeout=30)
    [first] = reports()
    assert "first comment failed" in first["text"]
    buttons = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [f"outpost:retry:{post_id}"]
    press = slack.button("retry", str(post_id), ts=first["ts"])
    press["channel"]["id"] = press["container"]["channel_id"] = first["channel"]
    await slack.interactive(press)
    # The summary says it is going out again, then the new report lands in the thread.
    await _until(lambda: any(u["text"].startswith("⏳ Publishing now by")
                             for u in fake.calls("chat.update")))  # fmt: skip
    await _until(lambda: len(reports()) == 2, timeout=30)
    second = reports()[1]
    assert second["thread_ts"] == first["thread_ts"] is not None
    assert "first comment posted" in second["text"], second["text"]
    assert not [b for b in second.get("blocks") or [] if b["type"] == "actions"]
    assert [p["commentary"] for p in linkedin.posts] == ["We are hiring"]
    assert [c["message"]["text"] for c in linkedin.comments] == [
        "Apply at https://example.com/jobs"
    ]


async def test_a_thread_left_without_done_is_saved_as_a_draft_and_said(
    slack: SlackHarness, xnet: FakeX
) -> None:
    """Nothing added for CHAT_THREAD_IDLE_HOURS and no `done`: the worker saves the parts as
    the author's draft and says so in the thread; a thread with nothing in it is closed."""
    rt, fake = slack.rt, slack.fake
    root = await _two_parts(slack, xnet, "EvIDLE")
    empty = message("thread tomorrow 10am to x")
    await slack.event(empty, event_id="EvIDLE2")
    await _until(lambda: len(fake.messages) == 3)
    # A day and an hour pass with no `done`.
    for table in ("chat_threads", "chat_thread_parts"):
        await asyncpg_execute(f"UPDATE {table} SET created_at = now() - interval '25 hours'")
    await save_idle(Scheduler(rt))  # what the worker's cron entry runs (it may run it first)

    def told(ts: str) -> list[dict[str, Any]]:
        return [m for m in fake.messages if m.get("thread_ts") == ts and "🧵 Nobody" in m["text"]]

    await _until(lambda: told(root) and told(str(empty["ts"])), timeout=15)
    [draft] = await rt.posts.search(await _workspace(slack), statuses=["draft"])
    assert draft.parts == ("Part one", "Part two")
    assert draft.user_id is not None
    assert [d.platform for d in draft.destinations] == ["x"]
    [said] = told(root)
    assert "so it is saved as a draft (2 parts)" in said["text"], said["text"]
    assert f"`schedule {str(draft.id)[:8]} tomorrow 9am`" in said["text"]
    assert "nothing was saved" in told(str(empty["ts"]))[0]["text"]
    assert await save_idle(Scheduler(rt)) == 0  # once
    # A late reply in the thread adds nothing and says where the parts went.
    await slack.event(reply("Part three", root), event_id="EvIDLE3")
    await _until(
        lambda: any("This thread was saved as a draft" in m["text"]
                    for m in [*fake.messages, *fake.ephemeral])
    )  # fmt: skip
    assert (await rt.posts.get(draft.id)).parts == ("Part one", "Part two")
    assert xnet.posts == []


async def test_an_idle_thread_that_cannot_be_a_draft_stays_open_and_is_said_once(
    slack: SlackHarness, xnet: FakeX
) -> None:
    rt, fake = slack.rt, slack.fake
    root = await _two_parts(slack, xnet, "EvUNS")
    # Meanwhile the stored part came to be more than X takes (nothing in Outpost does this
    # today; an account's limit could change under a thread).
    await asyncpg_execute("UPDATE chat_thread_parts SET text = repeat('x', 400)")
    await day_passes()
    assert await save_idle(Scheduler(rt)) == 0

    def told() -> list[str]:
        return [
            m["text"] for m in fake.messages
            if m.get("thread_ts") == root and "cannot be saved as a draft" in m["text"]
        ]  # fmt: skip

    await _until(told)
    assert "X allows 280" in told()[0], told()[0]
    assert "reply `cancel`" in told()[0]
    assert await save_idle(Scheduler(rt)) == 0
    await asyncio.sleep(0.3)
    assert len(told()) == 1  # said once, not at every sweep
    assert await count_rows("scheduled_posts") == 0
    [thread] = await rt.chat_threads.idle(rt.clock.now())  # still open, its parts kept
    assert (await rt.chat_threads.claim(thread)) is not None


async def _two_parts(slack: SlackHarness, xnet: FakeX, events: str) -> str:
    """A thread to X opened in a DM with "Part one" and a reply "Part two"; its root."""
    await connect_x(slack.rt, await _workspace(slack), xnet)
    opening = message("thread tomorrow 9am to x: Part one")
    await slack.event(opening, event_id=f"{events}0")
    await _until(lambda: slack.fake.messages)
    root = str(opening["ts"])
    await slack.event(reply("Part two", root), event_id=f"{events}1")
    await _until(lambda: len(slack.fake.messages) == 2)
    return root


async def day_passes() -> None:
    """A day and an hour with nothing added to any open thread and no `done`."""
    for table in ("chat_threads", "chat_thread_parts"):
        await asyncpg_execute(f"UPDATE {table} SET created_at = now() - interval '25 hours'")


async def test_a_done_whose_process_died_before_closing_the_thread_makes_no_second_post(
    slack: SlackHarness, xnet: FakeX
) -> None:
    """`done` scheduled the post, then its process died before marking the thread done: the
    next `done` (after the claim's lease) and the idle sweep find that post, never make one
    more."""
    rt, fake = slack.rt, slack.fake
    root = await _two_parts(slack, xnet, "EvDIED")
    await slack.event(reply("done", root), event_id="EvDIED2")
    await _until(lambda: any("id: " in m["text"] for m in fake.messages))
    [made] = await rt.posts.search(await _workspace(slack))
    # The state such a death leaves: the post is there, the thread still "closing".
    died = "UPDATE chat_threads SET status = 'closing', updated_at = now() - interval '{}'"
    await asyncpg_execute(died.format("5 minutes"))
    before = len(fake.messages)
    await slack.event(reply("done", root), event_id="EvDIED3")
    await _until(lambda: len(fake.messages) > before)
    assert f"id: {made.id}" in fake.messages[-1]["text"]
    assert await count_rows("scheduled_posts") == 1
    # The same left for a day: the worker's sweep closes it on the post, and says nothing.
    await asyncpg_execute(died.format("25 hours"))
    await day_passes()
    assert await save_idle(Scheduler(rt)) == 1
    assert await count_rows("scheduled_posts") == 1
    assert not [m for m in fake.messages if "Nobody wrote" in m["text"]]
    assert await save_idle(Scheduler(rt)) == 0
