"""``outpost run`` publishing to LinkedIn and an Instagram carousel, against the fakes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from PIL import Image

from core.settings import Settings
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.media.files import encoded_video
from tests.support import ROOT, TEST_DB, env_for, free_port, wait_for

E2E_DB = TEST_DB + "_e2e_networks"


async def outpost(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    # In a thread: the fakes live on this event loop and must keep answering the worker.
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
async def fresh_db() -> str:
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{E2E_DB.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    return E2E_DB


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    fake.container_polls = 0
    await fake.start()
    yield fake
    await fake.stop()


async def test_run_publishes_to_linkedin_and_an_instagram_carousel(
    settings: Settings, fresh_db: str, linkedin: FakeLinkedIn, graph: FakeGraph, tmp_path: Path
) -> None:
    port = free_port()
    env = env_for(settings, DATABASE_URL=fresh_db, PORT=str(port), RECONCILE_SECONDS="2",
                  PUBLIC_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    for name, colour in (("a.jpg", "red"), ("b.jpg", "blue")):
        Image.new("RGB", (320, 320), colour).save(tmp_path / name, "JPEG")
    encoded_video(tmp_path / "c.mp4", seconds=4.0, size=(64, 64))
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await wait_for(healthy, timeout=60, interval=0.2)
            made = await outpost(env, "workspace", "create", "e2e", "--tz", "UTC")
            assert made.returncode == 0, made.stderr
            added = await outpost(
                env, "accounts", "add", "linkedin", "--workspace", "e2e", "--handle", "ada",
                "--base-url", linkedin.url, "--token-stdin", stdin="li-token",
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            # Instagram accounts come from a Facebook login; here the row is written directly.
            async with open_runtime(settings.model_copy(update={"database_url": fresh_db})) as rt:
                ws = await rt.workspaces.by_name("e2e")
                await rt.workspaces.add_account(
                    ws.id, "instagram", "acme.corp", rt.cipher.encrypt(graph.page_token),
                    base_url=graph.url, settings={"ig_user_id": graph.ig_id},
                )  # fmt: skip
            li = await outpost(
                env, "schedule", "in 3 seconds to linkedin: Hello LinkedIn", "--workspace", "e2e"
            )
            assert li.returncode == 0, li.stderr
            files = [
                a for name in ("a.jpg", "b.jpg", "c.mp4") for a in ("--media", str(tmp_path / name))
            ]
            ig = await outpost(
                env, "schedule", "in 3 seconds to instagram: Our carousel", "--workspace", "e2e",
                *files,
            )  # fmt: skip
            assert ig.returncode == 0, ig.stderr

            async def published() -> bool:
                return len(linkedin.posts) == 1 and len(graph.posts) == 1

            await wait_for(published, timeout=45, interval=0.3)
            assert linkedin.posts[0]["author"] == f"urn:li:person:{linkedin.person_id}"
            assert linkedin.posts[0]["commentary"] == "Hello LinkedIn"
            children = [graph.objects[c] for c in graph.posts[0]["children"].split(",")]
            assert [c.get("media_type") for c in children] == [None, None, "VIDEO"]
            assert graph.posts[0]["caption"] == "Our carousel"

            async def counted() -> bool:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    text = await resp.text()
                return all(
                    f'outpost_publish_outcomes_total{{outcome="success",platform="{p}"}} 1.0'
                    in text
                    for p in ("linkedin", "instagram")
                )

            await wait_for(counted, timeout=15, interval=0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    assert "li-token" not in (tmp_path / "run.log").read_text()
