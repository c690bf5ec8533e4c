"""A killed worker with due posts: ``/healthz`` answers 503 and the chat hears it once; a
restarted worker publishes, and the chat hears that it cleared (real ``outpost web`` and
``outpost worker`` processes, Postgres, Redis, fake Slack and Mastodon)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.settings import Settings
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.faults.workers import WorkerProcess
from tests.slack.conftest import CHANNEL, TEAM
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.support import ROOT, env_for, free_port, wait_for

THREAD = "1700000000.000100"
LATE, AGAIN = "Scheduled posts are late", "Publishing again"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.channels[CHANNEL] = "general"
    await fake.start()
    yield fake
    await fake.stop()


def _short(slack: FakeSlack, port: int) -> dict[str, str]:
    return {
        "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_BOT_TOKEN": "xoxb-good",
        "SLACK_API_URL": slack.api_url(), "HOST": "127.0.0.1", "PORT": str(port),
        "HEARTBEAT_SECONDS": "1", "WORKER_SEEN_SECONDS": "3", "STALL_ALERT_SECONDS": "4",
        "HEALTHZ_LATE_SECONDS": "4", "STALL_CHECK_SECONDS": "0.3",
    }  # fmt: skip


def _in_thread(slack: FakeSlack, words: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages if m["thread_ts"] == THREAD and words in m["text"]]


async def test_killed_worker_raises_the_alarm_once_and_a_new_one_clears_it(
    runtime: Runtime, settings: Settings, slack: FakeSlack, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    port = free_port()
    extra = _short(slack, port)
    web_log = (tmp_path / "web.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web"], cwd=ROOT, env=env_for(settings, **extra),
        stdout=web_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    first = WorkerProcess(settings, tmp_path, "first", **extra).start()
    second = WorkerProcess(settings, tmp_path, "second", **extra)
    healthz = f"http://127.0.0.1:{port}/healthz"
    try:
        async with aiohttp.ClientSession() as http:

            async def health() -> tuple[int, dict[str, Any]]:
                try:
                    async with http.get(healthz) as resp:
                        return resp.status, await resp.json()
                except aiohttp.ClientError:
                    return 0, {}

            async def worker_seen() -> bool:
                status, body = await health()
                return status == 200 and len(body["workers"]) == 1

            await wait_for(worker_seen, timeout=60, interval=0.2)
            first.kill()
            first.wait()

            ws = await runtime.workspaces.create("acme", "UTC")
            await runtime.workspaces.add_account(
                ws.id, "mastodon", "@outpost@fake.social", runtime.cipher.encrypt("good-token"),
                base_url=mastodon.url,
            )  # fmt: skip
            origin = {"platform": "slack", "team_id": TEAM, "channel": CHANNEL,
                      "thread_ts": THREAD, "summary_ts": "1700000000.000200"}  # fmt: skip
            await Scheduler(runtime).schedule(
                ws.id, "now to mastodon: Doors open", tz="UTC", origin=origin
            )

            async def unhealthy() -> bool:
                status, _ = await health()
                return status == 503

            await wait_for(unhealthy, timeout=30, interval=0.2)
            _, body = await health()
            assert body["workers"] == []
            assert body["due_not_started"] == 1
            # Unhealthy means more than 4 s late; the JSON rounds to a tenth (4.04 shows 4.0).
            assert body["oldest_late_seconds"] >= 4

            async def alarmed() -> bool:
                return bool(_in_thread(slack, LATE))

            await wait_for(alarmed, timeout=30, interval=0.2)
            assert "no worker is running" in _in_thread(slack, LATE)[0]["text"]
            assert mastodon.statuses == []
            # The alarm is a reply: the post's summary message is left for its result.
            assert slack.calls("chat.update") == []

            second.start()

            async def cleared() -> bool:
                status, _ = await health()
                return status == 200 and bool(_in_thread(slack, AGAIN))

            await wait_for(cleared, timeout=60, interval=0.2)
            assert [s["content"] for s in mastodon.statuses] == ["<p>Doors open</p>"]
            # Once per incident, however many times the web process looked meanwhile.
            assert len(_in_thread(slack, LATE)) == 1
            assert len(_in_thread(slack, AGAIN)) == 1
    finally:
        first.stop()
        second.stop()
        web.terminate()
        web.wait(20)
        web_log.close()
