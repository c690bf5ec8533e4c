"""The Slack bot in a real aiohttp server, a fake Slack Web API, a real worker, signed requests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from app.process import open_process
from app.web import build_app
from bot.slack.routes import setup as slack_setup
from core.settings import Settings
from scheduler.hooks.callbacks import CALLBACK_FUNCTIONS
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.support import TEST_DB, make_settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM, USER, CHANNEL = "T0001", "U0000AAA1", "C0GENERAL1"
_ids = itertools.count(1)


def sign(body: bytes, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for ``body``."""
    stamp = str(int(time.time()) if ts is None else ts)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackHarness:
    """The running app, its fake Slack, and helpers that send requests as Slack does."""

    client: TestClient[Any, Any]
    fake: FakeSlack
    rt: Runtime

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> ClientResponse:
        """POST to /slack/events."""
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {})}
        all_headers.update(headers or {})
        return await self.client.post("/slack/events", data=body, headers=all_headers)

    def command_body(
        self, text: str, *, command: str = "/schedule", team: str = TEAM, user: str = USER,
        channel: str = CHANNEL, trigger: str | None = None,
    ) -> bytes:
        """A slash command's form body, as Slack sends it."""
        n = next(_ids)
        return urlencode({
            "token": "verification-token-unused", "team_id": team, "team_domain": "acme",
            "channel_id": channel, "channel_name": "general", "user_id": user,
            "user_name": "ada", "command": command, "text": text, "api_app_id": "A0OUTPOST",
            "is_enterprise_install": "false",
            "response_url": f"{self.fake.url}/response/{n}",
            "trigger_id": trigger or f"{n}.1234.abcdef{n}",
        }).encode()

    async def command(self, text: str, **kw: Any) -> ClientResponse:
        """Send ``/schedule text``."""
        return await self.post(self.command_body(text, **kw), "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any], **kw: Any) -> ClientResponse:
        """Send an interactivity payload (form field ``payload``)."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, team: str = TEAM, **kw: Any
    ) -> ClientResponse:
        """Send an Events API callback."""
        body = {
            "token": "unused", "team_id": team, "api_app_id": "A0OUTPOST", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()), "authorizations": [
                {"team_id": team, "user_id": "UBOT00001", "is_bot": True}
            ],
        }
        return await self.post(json.dumps(body).encode(), "application/json", **kw)

    def button(
        self, action: str, post_id: str, *, team: str = TEAM, user: str = USER,
        ts: str = "", ephemeral: bool = False,
    ) -> dict[str, Any]:
        """A block_actions payload for one of our buttons."""
        n = next(_ids)
        return {
            "type": "block_actions", "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "username": "ada", "team_id": team},
            "api_app_id": "A0OUTPOST", "trigger_id": f"{n}.999.trig{n}",
            "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL,
                          "is_ephemeral": ephemeral},
            "channel": {"id": CHANNEL, "name": "general"},
            "response_url": f"{self.fake.url}/response/{n}",
            "actions": [{"type": "button", "action_id": f"outpost:{action}:{post_id}",
                         "block_id": "b1", "value": post_id, "action_ts": f"{time.time():.6f}"}],
        }


async def empty_slack_tables() -> None:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute("TRUNCATE slack_deliveries, slack_oauth_states, slack_installations")
    finally:
        await conn.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_user(USER)
    yield fake
    await fake.stop()


def slack_settings(base: Settings, fake: FakeSlack, **extra: Any) -> Settings:
    """Settings with Slack on, pointed at the fake."""
    values: dict[str, Any] = {
        "slack_signing_secret": SECRET, "slack_bot_token": "xoxb-good",
        "slack_api_url": fake.api_url(),
    }
    values.update(extra)
    return make_settings(base.data_dir, **values)


async def _harness(settings: Settings, fake: FakeSlack) -> AsyncIterator[SlackHarness]:
    await empty_slack_tables()
    async with open_process(settings) as process:
        rt = process.runtime
        # As ``outpost worker`` does: callback deliveries run beside the publishes.
        worker = make_worker(rt, handle_signals=False, extra_functions=CALLBACK_FUNCTIONS)
        task = asyncio.create_task(worker.main())
        client = TestClient(TestServer(build_app(rt, [slack_setup])))
        await client.start_server()
        try:
            yield SlackHarness(client, fake, rt)
        finally:
            await client.close()
            task.cancel()
            jobs = [t for t in worker.tasks.values() if not t.done()]
            for job in jobs:
                job.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await asyncio.gather(*jobs, return_exceptions=True)
            # Listeners run after the ack: let the last ones finish before closing resources.
            await asyncio.sleep(0.2)


@pytest.fixture
async def slack(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    """Single-workspace mode (SLACK_BOT_TOKEN)."""
    async for harness in _harness(slack_settings(settings, fake_slack), fake_slack):
        yield harness


@pytest.fixture
async def oauth_slack(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackHarness]:
    """Multi-workspace mode (SLACK_CLIENT_ID/SECRET, installations in Postgres)."""
    custom = slack_settings(
        settings, fake_slack, slack_bot_token=None, slack_client_id=fake_slack.client_id,
        slack_client_secret=fake_slack.client_secret,
    )
    async for harness in _harness(custom, fake_slack):
        yield harness


@pytest.fixture
async def connected(slack: SlackHarness, mastodon: FakeMastodon) -> SlackHarness:
    """The Slack workspace has a Mastodon account."""
    rt = slack.rt
    ws = await rt.workspaces.ensure(f"slack:{TEAM}", "Europe/Berlin")
    await rt.workspaces.add_account(
        ws.id, "mastodon", "@outpost@fake.social", rt.cipher.encrypt("good-token"),
        base_url=mastodon.url,
    )
    return slack
