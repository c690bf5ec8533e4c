"""Issue #23, item 9 (the edge's part): ``next`` cannot leave the site, the calendar keeps to
the shared time horizon, /metrics is not open to everyone, a Telegram outage at boot does not
stop the server."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from app.process import open_process
from app.web import build_app, metrics_refusal
from bot.telegram.routes import setup_for as telegram_setup
from core.settings import Settings
from scheduler.logins import safe_next
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.views import PostView
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.support import free_port, make_settings, wait_for
from tests.telegram.updates import SECRET, Updates
from tests.web import conftest as calendar
from tests.web.conftest import Crew, csrf_of

Client = TestClient[object, object]
client = calendar.client
crew = calendar.crew


async def _post(runtime: Runtime, crew: Crew) -> PostView:
    return await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text="Hello",
        when=runtime.clock.now() + timedelta(days=2),
        destinations=["mastodon"],
    )


@pytest.mark.parametrize(
    "sneaky",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
     "/\\evil.example", "//evil.example", "https://evil.example", "/\x00/evil.example"],
)  # fmt: skip
def test_next_cannot_leave_the_site(sneaky: str) -> None:
    landed = safe_next(sneaky)
    browser_view = "".join(ch for ch in landed if ch not in "\t\n\r")
    assert browser_view.startswith("/")
    assert not browser_view.startswith(("//", "/\\"))
    assert "evil.example" not in landed or landed.startswith("/evil.example")


async def test_a_tab_in_next_does_not_redirect_to_another_site(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    post = await _post(runtime, crew)
    page = await client.get(f"/posts/{post.id}")
    form = {"csrf": csrf_of(await page.text()), "next": "/\t/evil.example/x"}
    resp = await client.post(f"/posts/{post.id}/cancel", data=form, allow_redirects=False)
    assert resp.status == 303
    location = resp.headers["Location"]
    assert not location.replace("\t", "").startswith("//"), location
    assert location == "/?done=cancelled"


@pytest.mark.parametrize(
    "fields",
    [{"when": "9999-12-31T23:59"}, {"date": "9999-12-31"}, {"when": "2045-01-01T10:00"}],
)
async def test_a_reschedule_past_the_horizon_is_refused_with_a_message(
    runtime: Runtime, client: Client, crew: Crew, fields: dict[str, str]
) -> None:
    post = await _post(runtime, crew)
    page = await client.get(f"/posts/{post.id}")
    form = {"csrf": csrf_of(await page.text()), **fields}
    resp = await client.post(f"/posts/{post.id}/reschedule", data=form)
    assert resp.status == 400
    assert "more than ten years ahead" in html.unescape(await resp.text())
    assert (await runtime.posts.get(post.id)).scheduled_at == post.scheduled_at


@pytest.mark.parametrize(
    "query",
    ["month=9999-12", "view=week&date=9999-12-31", "view=week&date=0001-01-01",
     "view=list&month=9999-12", "month=2099-01", f"view=list&page={10**30}", "page=١"],
)  # fmt: skip
async def test_navigating_past_the_calendar_is_a_400_with_a_message(
    client: Client, crew: Crew, query: str
) -> None:
    resp = await client.get(f"/?{query}")
    text = html.unescape(await resp.text())
    assert resp.status == 400, text
    assert "That page does not exist" in text


async def test_the_furthest_month_still_shows(client: Client, crew: Crew) -> None:
    resp = await client.get("/?month=2030-06")
    assert resp.status == 200


class _Peer:
    """A transport that reports where the request came from, as a socket would."""

    def __init__(self, address: str) -> None:
        self.address = address

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.address, 40000) if name == "peername" else default


def _refusal(settings: Settings, remote: str, headers: dict[str, str] | None = None) -> int:
    request = make_mocked_request("GET", "/metrics", headers=headers or {}, transport=_Peer(remote))
    refused = metrics_refusal(settings, request)
    return 200 if refused is None else refused.status


def test_metrics_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token="scrape-me-0123")
    assert _refusal(settings, "203.0.113.9") == 401
    assert _refusal(settings, "127.0.0.1") == 401  # set, it is needed from anywhere
    wrong = {"Authorization": "Bearer nope"}
    assert _refusal(settings, "203.0.113.9", wrong) == 401
    right = {"Authorization": "Bearer scrape-me-0123"}
    assert _refusal(settings, "203.0.113.9", right) == 200


def test_production_without_a_token_serves_metrics_to_this_machine_only(tmp_path: Path) -> None:
    production = make_settings(tmp_path, outpost_env="production")
    assert _refusal(production, "203.0.113.9") == 403
    assert _refusal(production, "10.0.0.7") == 403
    assert _refusal(production, "127.0.0.1") == 200
    assert _refusal(production, "::1") == 200
    assert _refusal(make_settings(tmp_path), "203.0.113.9") == 200  # development: open


async def test_metrics_route_asks_for_the_token(settings: Settings) -> None:
    custom = make_settings(settings.data_dir, metrics_token="scrape-me-0123")
    async with open_runtime(custom) as rt, TestClient(TestServer(build_app(rt))) as http:
        assert (await http.get("/metrics")).status == 401
        ok = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123"})
        assert ok.status == 200
        assert "outpost" in await ok.text()


async def test_a_telegram_outage_at_boot_does_not_stop_the_server(settings: Settings) -> None:
    port = free_port()  # nothing listens here yet: Telegram is down
    custom = make_settings(
        settings.data_dir,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=f"http://127.0.0.1:{port}/bot",
        public_url="https://outpost.example",
    )
    fake = FakeTelegram()
    updates = Updates()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with open_process(custom) as process:
        assert process.telegram is not None
        app = build_app(process.runtime, [telegram_setup(process.telegram)])
        async with TestClient(TestServer(app)) as http:
            assert (await http.get("/healthz")).status == 200  # the rest of Outpost serves
            early = await http.post(
                "/telegram/webhook", json=updates.message(text="hi"), headers=headers
            )
            assert early.status == 503  # Telegram redelivers it later
            await fake.start(port=port)  # Telegram is back
            try:

                async def webhook_registered() -> bool:
                    return bool(fake.calls("setWebhook"))

                await wait_for(webhook_registered, timeout=30)
                [call] = fake.calls("setWebhook")
                assert call["url"] == "https://outpost.example/telegram/webhook"
                later = await http.post(
                    "/telegram/webhook", json=updates.message(text="help"), headers=headers
                )
                assert later.status == 200
            finally:
                await fake.stop()
