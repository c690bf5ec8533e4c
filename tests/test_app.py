"""The README's main command on a fresh database, health, metrics, and the shell commands."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.web import build_app
from core.settings import Settings
from scheduler.runtime import open_runtime
from storage.db import _plain_dsn
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import ROOT, TEST_DB, PrivateRedis, env_for, free_port, make_settings, wait_for

E2E_DB = TEST_DB + "_e2e"


def outpost(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def fresh_db() -> str:
    admin = await asyncpg.connect(_plain_dsn(TEST_DB, "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{E2E_DB.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()
    return E2E_DB


async def test_run_serves_health_and_publishes_a_shell_scheduled_post(
    settings: Settings, fresh_db: str, receiver: FakeWebhookReceiver, tmp_path: Path
) -> None:
    port = free_port()
    env = env_for(settings, DATABASE_URL=fresh_db, PORT=str(port), RECONCILE_SECONDS="2")
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        body = await resp.json()
                        # Also the work figures (scheduler.health.alarm), once a worker beats.
                        return resp.status == 200 and body["database"] == body["redis"] == "ok"
                except aiohttp.ClientError:
                    return False

            await wait_for(healthy, timeout=60, interval=0.2)
            # The MCP server is mounted in the served app, behind the API token.
            ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
            async with http.post(f"http://127.0.0.1:{port}/mcp", json=ping) as resp:
                assert resp.status == 401
                assert "Bearer" in (await resp.json())["error"]["message"]
            made = outpost(env, "workspace", "create", "e2e", "--tz", "Europe/Berlin")
            assert made.returncode == 0, made.stderr
            added = outpost(
                env,
                "accounts",
                "add",
                "webhook",
                "--workspace",
                "e2e",
                "--handle",
                "zapier",
                "--base-url",
                receiver.url + "/catch",
                "--token-stdin",
                stdin=receiver.secret,
            )
            assert added.returncode == 0, added.stderr
            assert receiver.secret not in added.stdout + added.stderr
            scheduled = outpost(
                env,
                "schedule",
                "in 3 seconds to zapier: Hello from the shell",
                "--workspace",
                "e2e",
            )
            assert scheduled.returncode == 0, scheduled.stderr
            post_id = scheduled.stdout.split()[0]

            async def delivered() -> bool:
                return len(receiver.deliveries) == 1

            await wait_for(delivered, timeout=30)
            body = receiver.deliveries[0]["body"]
            assert body["data"]["text"] == "Hello from the shell"
            assert body["data"]["post_id"] == post_id

            async def listed() -> bool:
                out = outpost(env, "posts", "--workspace", "e2e").stdout
                return "published" in out

            await wait_for(listed, timeout=15, interval=0.5)
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                text = await resp.text()
            success = 'outpost_publish_outcomes_total{outcome="success",platform="webhook"} 1.0'
            assert success in text
            assert "outpost_publish_lateness_seconds_bucket" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    logged = (tmp_path / "run.log").read_text()
    assert receiver.secret not in logged
    for line in logged.splitlines():
        json.loads(line)  # structured logs, one JSON object per line


async def test_shell_reports_problems_clearly(settings: Settings) -> None:
    env = env_for(settings)
    assert outpost(env, "workspace", "create", "shell").returncode == 0
    bad = outpost(env, "schedule", "tomorrow 9am to nowhere: hi", "--workspace", "shell")
    assert bad.returncode == 2
    assert "nowhere" in bad.stderr
    missing = outpost(env, "schedule", "tomorrow 9am to x: hi", "--workspace", "ghost")
    assert "No workspace named 'ghost'" in missing.stderr
    broken = outpost({**env, "DATABASE_URL": "mysql://x"}, "posts")
    assert broken.returncode == 2
    assert "DATABASE_URL" in broken.stderr
    token = outpost(env, "token", "create", "--workspace", "shell")
    assert token.stdout.startswith("op_")


async def test_healthz_names_what_is_down(settings: Settings, tmp_path: Path) -> None:
    redis = PrivateRedis()
    redis.start()
    try:
        local = make_settings(tmp_path / "h", redis_url=redis.url)
        async with open_runtime(local) as rt, TestClient(TestServer(build_app(rt))) as client:
            ok = await client.get("/healthz")
            assert ok.status == 200
            redis.stop()
            down = await client.get("/healthz")
            assert down.status == 503
            assert await down.json() == {"database": "ok", "redis": "down"}
    finally:
        redis.cleanup()
