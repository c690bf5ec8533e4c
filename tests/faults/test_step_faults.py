"""A worker killed between a post and its first comment, while the comment is in flight, or
in the middle of a thread: the next worker finishes the job, and nothing is sent twice
(issue #19). Real ``outpost worker`` processes, SIGKILLed; the fakes hold the call."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.faults.workers import WorkerProcess
from tests.steps.support import Fakes, comments_of, connect, posts_of, running
from tests.support import wait_for

pytestmark = pytest.mark.faults

NETWORKS = ("x", "bluesky", "mastodon", "linkedin", "facebook")
COMMENT = "Sign up: https://example.com/webinar"
PARTS = [f"Part {n}: one more thing about our webinar next week." for n in range(1, 6)]


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with running() as started:
        yield started


def _fake(fakes: Fakes, network: str) -> Any:
    """The fake for ``network`` (each has ``fail_next`` and ``create_calls``)."""
    return {"x": fakes.x, "bluesky": fakes.bluesky, "mastodon": fakes.mastodon,
            "linkedin": fakes.linkedin, "facebook": fakes.graph}[network]  # fmt: skip


async def _killed_then_resumed(
    rt: Runtime, tmp_path: Path, in_flight: Callable[[], Awaitable[bool]], post_id: uuid.UUID
) -> None:
    """Start a worker, SIGKILL it once ``in_flight()`` holds, then let a second one finish."""
    # The held call must outlive the kill: the first worker waits long for an answer.
    first = WorkerProcess(rt.settings, tmp_path, "a", PUBLISH_TIMEOUT_SECONDS="20").start()
    try:
        await wait_for(in_flight, timeout=30)
        first.kill(signal.SIGKILL)
        await asyncio.to_thread(first.wait)
    finally:
        first.stop()
    second = WorkerProcess(rt.settings, tmp_path, "b").start()
    try:

        async def finished() -> bool:
            return (await rt.posts.get(post_id)).status in ("published", "partially_published",
                                                            "failed")  # fmt: skip

        await wait_for(finished, timeout=60, interval=0.2)
    finally:
        second.stop()
    assert (await rt.posts.get(post_id)).status == "published", second.log()[-3000:]


@pytest.mark.parametrize("created", [False, True], ids=["before-comment", "comment-in-flight"])
async def test_killed_around_the_first_comment_posts_it_once(
    runtime: Runtime, fakes: Fakes, tmp_path: Path, created: bool
) -> None:
    ws, _ = await connect(runtime, fakes)
    for network in NETWORKS:
        fake = _fake(fakes, network)
        fake.fail_next("none")  # the post goes out
        # The comment call is held: not made yet (the worker dies between post and comment),
        # or made with its answer never arriving (the worker dies with it in flight).
        fake.fail_next("timeout", create=created, delay=60)
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="Webinar today", when=runtime.clock.now(), destinations=list(NETWORKS),
        first_comment=COMMENT,
    )  # fmt: skip

    async def comments_held() -> bool:
        return all(_fake(fakes, n).create_calls >= 2 for n in NETWORKS)

    await _killed_then_resumed(runtime, tmp_path, comments_held, post.id)
    done = await runtime.posts.get(post.id)
    for network in NETWORKS:
        assert posts_of(fakes, network) == ["Webinar today"], network
        assert [c[0] for c in comments_of(fakes, network)] == [COMMENT], network
        dest = next(d for d in done.destinations if d.platform == network)
        assert [s.status for s in dest.steps] == ["sent", "sent"], network


async def test_a_thread_killed_after_part_three_resumes_at_part_four(
    runtime: Runtime, fakes: Fakes, tmp_path: Path
) -> None:
    ws, _ = await connect(runtime, fakes)
    for fake in (fakes.x, fakes.bluesky):
        fake.fail_next("none", count=3)  # parts 1 to 3
        fake.fail_next("timeout", create=False, delay=60)  # part 4 held, not made
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="", when=runtime.clock.now(), destinations=["x", "bluesky"], parts=PARTS,
    )  # fmt: skip

    async def part_four_held() -> bool:
        return fakes.x.create_calls >= 4 and fakes.bluesky.create_calls >= 4

    await _killed_then_resumed(runtime, tmp_path, part_four_held, post.id)
    assert [p["_sent_text"] for p in fakes.x.posts] == PARTS
    assert [p["in_reply_to"] for p in fakes.x.posts] == [None] + [
        p["id"] for p in fakes.x.posts[:-1]
    ]
    records = [fakes.bluesky.records[k]["value"] for k in fakes.bluesky.created_keys()]
    assert [r["text"] for r in records] == PARTS
    uris = fakes.bluesky.uris()
    assert [r["reply"]["parent"]["uri"] for r in records[1:]] == uris[:-1]
    done = await runtime.posts.get(post.id)
    for dest in done.destinations:
        assert [s.status for s in dest.steps] == ["sent"] * 5
