"""Issue #23, item 3: body limits per route, checked before reading, and Slack's signature
checked before Bolt parses or logs a byte; item 9: a non-numeric Slack timestamp."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.web import FORM_LIMIT, SLACK_LIMIT, TELEGRAM_LIMIT, build_app
from bot.slack.routes import setup as slack_setup
from bot.telegram.context import Services
from bot.telegram.routes import TelegramBridge
from core.logging import FOREIGN_MESSAGE_LIMIT, QUIET, ForeignMessageCap, setup_logging
from core.settings import Settings
from scheduler.runtime import Runtime, open_runtime
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TOKEN
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.slack.conftest import sign
from tests.support import make_settings
from tests.telegram.updates import SECRET as TELEGRAM_SECRET
from tests.web import conftest as calendar
from tests.web.conftest import Crew, csrf_of
from web.calendar import setup as calendar_setup

# The calendar's fixtures (a security conftest would clash with the other helpers' files).
client = calendar.client
crew = calendar.crew
GUARD = 30.0  # seconds; never reached by a passing run
MARK = b"response_url=https%3A%2F%2Fhooks.slack.example%2Fcommands%2FSECRET-MARK"


@pytest.fixture
async def edge(settings: Settings) -> AsyncIterator[TestServer]:
    """Slack, Telegram and the calendar on one server, as ``outpost web`` mounts them."""
    fake = FakeSlack()
    await fake.start()
    custom = make_settings(
        settings.data_dir,
        slack_signing_secret=SLACK_SECRET,
        slack_bot_token="xoxb-good",
        slack_api_url=fake.api_url(),
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_url="http://127.0.0.1:9/bot",
    )
    try:
        async with open_runtime(custom) as rt:
            app = build_app(rt, [slack_setup, calendar_setup])
            # The real Telegram route without PTB's start-up: its checks come before PTB.
            svc = Services.build(rt)
            app.router.add_post("/telegram/webhook", TelegramBridge(svc).webhook)
            server = TestServer(app)
            await server.start_server()
            try:
                yield server
            finally:
                await server.close()
                await svc.aclose()
    finally:
        await fake.stop()


async def raw(server: TestServer, head: bytes, body: bytes) -> bytes:
    """Send ``head`` and part of a body on a bare connection; the answer's head.

    The rest of the body never comes, so only a server that answers without waiting for it
    answers at all; the guard turns a server that waits into a failure, not a hang.
    """
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(head + body)
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD)
    finally:
        writer.close()


def chunked(past: int) -> bytes:
    """64 KB chunks adding up to more than ``past`` bytes, with no closing chunk."""
    piece = b"a" * 65536
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(past // 65536 + 2))


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_a_49_mb_slack_post_is_refused_from_its_length_without_reading_it(
    edge: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % (49 * 1024 * 1024)
    )
    answer = await raw(edge, head, MARK + b"&text=" + b"a" * 4096)
    assert status(answer) == 413
    assert not any("SECRET-MARK" in r.getMessage() for r in caplog.records)


async def test_a_chunked_slack_body_is_cut_off_at_the_limit(edge: TestServer) -> None:
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunks = chunked(SLACK_LIMIT)
    # No closing zero-size chunk: only a server that stops at the limit answers.
    answer = await raw(edge, head, chunks)
    assert status(answer) == 413


async def test_an_unsigned_slack_body_is_refused_before_bolt_reads_or_logs_it(
    edge: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with TestClient(edge) as client:
        body = MARK + b"&command=%2Fschedule&text=" + b"x" * 100_000
        wrong = sign(body, secret="not-the-secret")
        for headers in ({}, wrong):
            resp = await client.post(
                "/slack/events",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
            )
            assert resp.status == 401
            assert (await resp.json())["error"]["code"] == "invalid_signature"
    assert not any("SECRET-MARK" in r.getMessage() for r in caplog.records)


async def test_a_non_numeric_slack_timestamp_is_a_401_not_a_500(edge: TestServer) -> None:
    async with TestClient(edge) as client:
        body = b"command=%2Fschedule&text=posts"
        headers = sign(body)
        for stamp in ("abc", "", "1e9", "-5", "١٧٠٠٠٠٠٠٠٠"):
            headers["X-Slack-Request-Timestamp"] = stamp
            resp = await client.post(
                "/slack/events",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
            )
            assert resp.status == 401, stamp


async def test_telegram_refuses_a_large_update_from_its_length(edge: TestServer) -> None:
    head = (
        b"POST /telegram/webhook HTTP/1.1\r\nHost: outpost\r\nContent-Type: application/json\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: " + TELEGRAM_SECRET.encode() + b"\r\n"
        b"Content-Length: %d\r\n\r\n" % (TELEGRAM_LIMIT + 1)
    )
    answer = await raw(edge, head, b'{"update_id": 1, "message": {')
    assert status(answer) == 413


async def test_a_calendar_form_is_cut_off_at_the_form_limit(edge: TestServer) -> None:
    head = (
        b"POST /logout HTTP/1.1\r\nHost: outpost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % (FORM_LIMIT + 1)
    )
    assert status(await raw(edge, head, b"csrf=x&pad=")) == 413
    head_chunked = (
        b"POST /login/some-token HTTP/1.1\r\nHost: outpost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert status(await raw(edge, head_chunked, chunked(FORM_LIMIT))) == 413


def test_libraries_that_log_bodies_are_quiet_and_capped() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET})
    try:
        setup_logging("DEBUG")
        for name in ("slack_bolt", "slack_sdk", "telegram", "httpx", "aiohttp.access"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger("outpost.slack").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:], level, levels = saved[0], saved[1], saved[2]
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
    record = logging.LogRecord(
        "slack_bolt.AsyncApp", logging.WARNING, __file__, 1, "body: %s", ("b" * 50_000,), None
    )
    assert ForeignMessageCap().filter(record)
    assert len(record.getMessage()) < FOREIGN_MESSAGE_LIMIT + 40
    ours = logging.LogRecord("outpost.web", logging.INFO, __file__, 1, "x" * 5000, None, None)
    ForeignMessageCap().filter(ours)
    assert len(ours.getMessage()) == 5000


async def test_a_compose_text_field_is_cut_off_at_its_limit(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    token = csrf_of(await (await client.get("/compose")).text())
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("csrf", token)  # first, as the page's form sends it
    form.add_field("request", "tomorrow 9am to mastodon: " + "x" * 300_000)
    resp = await client.post("/compose", data=form)
    assert resp.status == 413
    assert "longer than 256 KB" in await resp.text()
    assert await runtime.posts.search(crew.team.workspace.id) == []


async def test_slacks_unsigned_certificate_check_gets_an_empty_200(edge: TestServer) -> None:
    async with TestClient(edge) as http:
        resp = await http.post(
            "/slack/events",
            data=b"ssl_check=1&token=unused",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert resp.status == 200
        assert await resp.read() == b""
        smuggled = await http.post(
            "/slack/events",
            data=b"ssl_check=0&command=%2Fschedule&text=posts",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert smuggled.status == 401
