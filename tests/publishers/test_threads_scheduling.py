"""Threads posts Threads would refuse are stopped when scheduled, through the Scheduler."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core.errors import RequestProblem
from scheduler.runtime import Runtime
from scheduler.service import Scheduler


async def _workspace(runtime: Runtime) -> uuid.UUID:
    ws = await runtime.workspaces.create("acme", "UTC")
    await runtime.workspaces.add_account(
        ws.id, "threads", "acme.threads", runtime.cipher.encrypt("threads-token"),
        base_url="https://graph.threads.net", settings={"threads_user_id": "1"},
    )  # fmt: skip
    return ws.id


async def test_130_emoji_are_refused_or_split_when_scheduled(runtime: Runtime) -> None:
    ws = await _workspace(runtime)
    when = runtime.clock.now() + timedelta(hours=1)
    with pytest.raises(RequestProblem) as caught:
        await Scheduler(runtime).schedule_fields(
            ws, text="🎉" * 130, when=when, destinations=["threads"]
        )
    assert "520 characters as Threads counts them" in str(caught.value)
    assert "an emoji counts as its UTF-8 bytes" in str(caught.value)
    post = await Scheduler(runtime).schedule_fields(
        ws, text="🎉" * 130, when=when, destinations=["threads"], thread=True
    )
    assert post.status == "scheduled"


async def test_six_links_are_refused_when_scheduled(runtime: Runtime) -> None:
    ws = await _workspace(runtime)
    text = "Reading list: " + " ".join(f"https://example.com/{n}" for n in range(6))
    with pytest.raises(RequestProblem) as caught:
        await Scheduler(runtime).schedule_fields(
            ws, text=text, when=runtime.clock.now() + timedelta(hours=1),
            destinations=["threads"],
        )  # fmt: skip
    assert "6 links; Threads takes at most 5 per post. Remove some links." in str(caught.value)
