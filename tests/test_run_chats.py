"""``outpost run`` with Slack and Telegram on: both routes answer, and the worker's results
reach the chat each post came from (the notifier app/ builds and passes into the runtime)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from core.settings import Settings
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.helpers import drop_database, outpost
from tests.slack.conftest import CHANNEL, TEAM, sign
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.slack.conftest import USER as SLACK_USER
from tests.support import ROOT, TEST_DB, env_for, free_port, wait_for
from tests.telegram.updates import SECRET as TELEGRAM_SECRET
from tests.telegram.updates import USER as TELEGRAM_USER
from tests.telegram.updates import Updates, replies

E2E_DB = TEST_DB + "_e2e_chats"



@pytest.fixture
async def fresh_db() -> str:
    await drop_database(E2E_DB)
    return E2E_DB


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeSlack, FakeTelegram]]:
    slack, telegram = FakeSlack(), FakeTelegram()
    await slack.start()
    await telegram.start()
    slack.add_user(SLACK_USER)
    yield slack, telegram
    await telegram.stop()
    await slack.stop()


async def _connect_mastodon(env: dict[str, str], workspace: str, url: str) -> None:
    made = await outpost(env, "workspace", "create", workspace)
    assert made.returncode == 0, made.stderr
    added = await outpost(
        env, "accounts", "add", "mastodon", "--workspace", workspace,
        "--handle", "@outpost@fake.social", "--base-url", url, "--token-stdin",
        stdin="good-token",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr


async def test_run_with_slack_and_telegram_answers_both_and_reports_results_to_each(
    settings: Settings,
    fresh_db: str,
    fakes: tuple[FakeSlack, FakeTelegram],
    mastodon: FakeMastodon,
    tmp_path: Path,
) -> None:
    slack, telegram = fakes
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(
        settings, DATABASE_URL=fresh_db, PORT=str(port), PUBLIC_URL=base,
        SLACK_SIGNING_SECRET=SLACK_SECRET, SLACK_BOT_TOKEN="xoxb-good",
        SLACK_API_URL=slack.api_url(), TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET, TELEGRAM_API_URL=telegram.url + "/bot",
    )  # fmt: skip
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:

            async def webhook_set() -> bool:
                return bool(telegram.calls("setWebhook"))

            await wait_for(webhook_set, timeout=60, interval=0.2)
            [registered] = telegram.calls("setWebhook")
            assert registered["url"] == base + "/telegram/webhook"
            await _connect_mastodon(env, f"telegram:{TELEGRAM_USER}", mastodon.url)
            await _connect_mastodon(env, f"slack:{TEAM}", mastodon.url)

            request = Updates().message(text="now to mastodon: From Telegram")
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            async with http.post(base + "/telegram/webhook", json=request, headers=headers) as r:
                assert r.status == 200

            body = _slash_command("now to mastodon: From Slack", slack.url)
            signed = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            async with http.post(base + "/slack/events", data=body, headers=signed) as r:
                assert r.status == 200

            def telegram_result() -> dict[str, Any] | None:
                found = [m for m in replies(telegram, TELEGRAM_USER) if "Published" in m["text"]]
                return found[0] if found else None

            def slack_result() -> dict[str, Any] | None:
                found = [
                    m for m in slack.messages
                    if m.get("thread_ts") and m["text"].startswith("✅ Published")
                ]  # fmt: skip
                return found[0] if found else None

            async def both_told() -> bool:
                return telegram_result() is not None and slack_result() is not None

            await wait_for(both_told, timeout=45, interval=0.3)
            assert sorted(s["text"] for s in mastodon.statuses) == ["From Slack", "From Telegram"]
            told = telegram_result()
            assert told is not None
            assert told["reply_parameters"]["message_id"] == request["message"]["message_id"]
            thread = slack_result()
            assert thread is not None
            assert thread["channel"] == CHANNEL
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    logged = (tmp_path / "run.log").read_text()
    assert code == 0, logged[-3000:]
    assert TOKEN not in logged
    for line in logged.splitlines():
        json.loads(line)


def _slash_command(text: str, fake_url: str) -> bytes:
    return urlencode({
        "token": "verification-token-unused", "team_id": TEAM, "team_domain": "acme",
        "channel_id": CHANNEL, "channel_name": "general", "user_id": SLACK_USER,
        "user_name": "ada", "command": "/schedule", "text": text, "api_app_id": "A0OUTPOST",
        "is_enterprise_install": "false", "response_url": f"{fake_url}/response/1",
        "trigger_id": "1.1234.abcdef1",
    }).encode()  # fmt: skip
