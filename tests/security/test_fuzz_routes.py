"""Generated bodies to the routes anyone on the internet (or any logged-in member) can reach:
no 500, and the event loop never blocked past the watchdog's limit.

Hypothesis draws a fixed, derandomized set of inputs per route (in a thread, so drawing does not
stall the loop being watched); they are all sent, and every answer of 500 or more is collected
and reported together with its input, so one run lists every finding.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.process import open_process
from app.web import build_app
from bot.slack.routes import setup as slack_setup
from bot.telegram.routes import setup_for as telegram_setup
from core.settings import Settings
from scheduler.api_tokens import create_token
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.api.conftest import CONFIG
from tests.api.test_hooks import TEMPLATE
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.helpers import team
from tests.security.conftest import STALL_LIMIT, TICK, LoopWatchdog
from tests.slack.conftest import SECRET as SLACK_SECRET
from tests.slack.conftest import sign
from tests.support import TEST_DB, make_settings
from tests.telegram.updates import SECRET as TELEGRAM_SECRET
from tests.web.conftest import csrf_of, log_in, member
from web import calendar
from webhooks import make_setup

T = TypeVar("T")
Inputs = dict[str, list[Any]]
Client = TestClient[Any, Any]
OWN_TABLES = (
    "calendar_session_workspaces, calendar_sessions, calendar_login_links, calendar_feeds, "
    "slack_deliveries, slack_oauth_states, slack_installations, "
    "telegram_album_parts, telegram_albums, telegram_pending_edits"
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
jinja_bits = st.sampled_from(
    ["{{", "}}", "{%", "%}", "for x in", "range(99999)", "payload", "|join", "*", "~", "'a'", " "]
)
templates = st.lists(jinja_bits | st.text(max_size=8), max_size=12).map("".join)
# Chosen, not generated: templates whose rendering costs about half a second of CPU, which must
# not be spent on the loop (a sandbox bounds what a template reaches, not how long it runs).
COSTLY_TEMPLATES = [
    "{% for a in range(300) %}{% for b in range(300) %}{{ a * b }}{% endfor %}{% endfor %}",
    "{{ 'x' * 3000000 }}",
]
request_text = st.text(string.printable + "→é💥\x00", max_size=300)


def draw(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """``count`` inputs from ``strategy``, the same on every run (no database, derandomized)."""
    found: list[T] = []

    @hsettings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: T) -> None:
        found.append(value)

    collect()
    return found


@dataclass
class Findings:
    """Answers of 500 or more and loop stalls, each with the request that caused it."""

    seen: list[str] = field(default_factory=list)
    sent: int = 0
    watchdog: LoopWatchdog | None = None

    async def send(self, client: Client, method: str, path: str, shown: Any, **kw: Any) -> None:
        self.sent += 1
        before = self.watchdog.worst if self.watchdog else 0.0
        async with client.request(method, path, allow_redirects=False, **kw) as resp:
            body = " ".join((await resp.text()).split())
        await asyncio.sleep(2 * TICK)  # the watchdog's next reading covers this request
        said = f"{method} {path} <- {shown!r:.300}"
        if resp.status >= 500:
            self.seen.append(f"{said} -> {resp.status} {body:.120}")
        worst = self.watchdog.worst if self.watchdog else 0.0
        if worst > STALL_LIMIT and worst > before:
            self.seen.append(f"{said} -> the loop was blocked {worst * 1000:.0f} ms")


@dataclass
class Site:
    """The app's public routes on one runtime with Slack and Telegram on, and a member."""

    rt: Runtime
    api: Client
    calendar: Client
    slack: Client
    telegram: Client
    token: str
    findings: Findings = field(default_factory=Findings)


async def _empty_own_tables() -> None:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        await conn.execute(f"TRUNCATE {OWN_TABLES} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def fuzz_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fuzz_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


def _site_settings(base: Settings, slack: FakeSlack, tg: FakeTelegram) -> Settings:
    return make_settings(
        base.data_dir,
        slack_signing_secret=SLACK_SECRET,
        slack_bot_token="xoxb-good",
        slack_api_url=slack.api_url(),
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_api_url=tg.url + "/bot",
    )


async def _client(rt: Runtime, setup: Callable[..., None]) -> Client:
    made: Client = TestClient(TestServer(build_app(rt, [setup])))
    await made.start_server()
    return made


@pytest.fixture
async def site(
    settings: Settings, fuzz_slack: FakeSlack, fuzz_telegram: FakeTelegram, mastodon: FakeMastodon
) -> AsyncIterator[Site]:
    await _empty_own_tables()
    async with open_process(_site_settings(settings, fuzz_slack, fuzz_telegram)) as process:
        rt = process.runtime
        assert process.telegram is not None
        crew = await team(rt, mastodon_url=mastodon.url)
        token, _ = await create_token(rt, crew.workspace.id, "fuzz", ["read", "write"])
        clients = [
            await _client(rt, setup)
            for setup in (
                make_setup(CONFIG), calendar.setup, slack_setup, telegram_setup(process.telegram)
            )
        ]
        await log_in(clients[1], rt, crew.workspace.id, await member(rt, crew.workspace.id, "ada"))
        try:
            yield Site(rt, *clients, token=token)
        finally:
            for client in clients:
                await client.close()
            await asyncio.sleep(0.2)  # Slack listeners run after the ack


def _bearer(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.token}"}


async def _fuzz_hooks(site: Site, inputs: Inputs) -> None:
    auth = _bearer(site)
    hook = {
        "name": "h",
        "verification": "github",
        "template": TEMPLATE,
        "destinations": ["mastodon"],
    }
    async with site.api.post("/api/v1/hooks", json=hook, headers=auth) as resp:
        assert resp.status == 201, await resp.text()
        hook_id = (await resp.json())["hook"]["id"]
    preview = f"/api/v1/hooks/{hook_id}/preview"
    for payload in inputs["hook_payloads"]:
        body = {"payload": payload, "event": "release"}
        await site.findings.send(site.api, "POST", preview, body, json=body, headers=auth)
    for raw in inputs["hook_raw"]:
        await site.findings.send(site.api, "POST", preview, raw, data=raw, headers=auth)
    for template in inputs["templates"]:
        edit = {"template": template}
        path = f"/api/v1/hooks/{hook_id}"
        await site.findings.send(site.api, "PATCH", path, edit, json=edit, headers=auth)
        body = {"payload": {"release": {"name": "x", "html_url": "y"}}}
        await site.findings.send(
            site.api, "POST", preview, (template, body), json=body, headers=auth
        )


async def _fuzz_calendar(site: Site, inputs: Inputs) -> None:
    page = await site.calendar.get("/compose")
    csrf = csrf_of(await page.text())
    async with site.api.post(
        "/api/v1/posts", json={"request": "tomorrow 9am to mastodon: hi"}, headers=_bearer(site)
    ) as resp:
        assert resp.status == 201, await resp.text()
        post_id = (await resp.json())["id"]
    for form in inputs["forms"]:
        data = {"csrf": csrf, **form}
        await site.findings.send(site.calendar, "POST", "/compose", form, data=data)
    for action, form in inputs["actions"]:
        path = f"/posts/{post_id}/{action}"
        await site.findings.send(site.calendar, "POST", path, form, data={"csrf": csrf, **form})


def _slack_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    event = st.fixed_dictionaries(
        {"type": st.just("event_callback"), "team_id": st.just("T0001"), "event": json_values}
    )
    command = st.dictionaries(
        st.sampled_from(["command", "text", "team_id", "user_id", "channel_id", "trigger_id"]),
        request_text,
    )
    return st.one_of(
        event.map(lambda e: (json.dumps(e).encode(), "application/json")),
        json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
        command.map(lambda c: (urlencode(c).encode(), "application/x-www-form-urlencoded")),
        json_values.map(
            lambda v: (
                urlencode({"payload": json.dumps(v)}).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
        st.binary(max_size=300).map(lambda b: (b, "application/json")),
    )


async def _fuzz_slack(site: Site, inputs: Inputs) -> None:
    for body, kind in inputs["slack_signed"]:
        headers = {"Content-Type": kind, **sign(body)}
        shown = ("signed", body)
        await site.findings.send(
            site.slack, "POST", "/slack/events", shown, data=body, headers=headers
        )
    for body, kind in inputs["slack_unsigned"]:
        headers = {"Content-Type": kind}
        shown = ("unsigned", body)
        await site.findings.send(
            site.slack, "POST", "/slack/events", shown, data=body, headers=headers
        )


def _telegram_updates() -> st.SearchStrategy[Any]:
    message = st.fixed_dictionaries(
        {
            "message_id": st.integers(),
            "date": st.integers(min_value=0, max_value=2**31),
            "chat": st.fixed_dictionaries(
                {"id": st.integers(), "type": st.sampled_from(["private", "group"])}
            ),
            "from": st.fixed_dictionaries(
                {"id": st.integers(), "is_bot": st.booleans(), "first_name": st.text(max_size=10)}
            ),
            "text": request_text,
        }
    )
    update = st.fixed_dictionaries({"update_id": st.integers(), "message": message})
    return update | st.dictionaries(
        st.sampled_from(["update_id", "message", "callback_query"]), json_values
    )


async def _fuzz_telegram(site: Site, inputs: Inputs) -> None:
    secret = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for update in inputs["telegram_updates"]:
        await site.findings.send(
            site.telegram, "POST", "/telegram/webhook", update, json=update, headers=secret
        )
    for raw in inputs["telegram_raw"]:
        await site.findings.send(
            site.telegram, "POST", "/telegram/webhook", raw, data=raw, headers=secret
        )


def _strategies() -> dict[str, tuple[st.SearchStrategy[Any], int]]:
    forms = st.dictionaries(
        st.sampled_from(["request", "text", "when", "date", "time", "next", "media_id", "fit"]),
        request_text,
        max_size=4,
    )
    actions = st.tuples(st.sampled_from(["reschedule", "edit", "cancel", "retry", "now"]), forms)
    return {
        "hook_payloads": (json_values, 60),
        "hook_raw": (st.binary(max_size=200), 15),
        "templates": (templates, 30),
        "forms": (forms, 40),
        "actions": (actions, 40),
        "slack_signed": (_slack_bodies(), 50),
        "slack_unsigned": (_slack_bodies(), 20),
        "telegram_updates": (_telegram_updates(), 50),
        "telegram_raw": (st.binary(max_size=200), 10),
    }


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    """Every route's inputs, drawn once before any loop is watched: drawing is CPU work (and
    Hypothesis's first run imports), which would count as a stall even in a thread (the GIL)."""
    drawn = {name: draw(strategy, count) for name, (strategy, count) in _strategies().items()}
    drawn["templates"] += COSTLY_TEMPLATES
    return drawn


@pytest.mark.parametrize(
    "route", [_fuzz_hooks, _fuzz_calendar, _fuzz_slack, _fuzz_telegram], ids=lambda f: f.__name__
)
async def test_generated_bodies_get_no_500(
    site: Site, route: Callable[[Site, Inputs], Any], inputs: Inputs, loop_watchdog: LoopWatchdog
) -> None:
    site.findings.watchdog = loop_watchdog
    await route(site, inputs)
    assert site.findings.sent > 50
    assert site.findings.seen == [], "\n".join(site.findings.seen)
