"""The calendar in a real headless Chromium: log in by link, drag, cancel, compose with an image.

Screenshots of the month view and the post page go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright, expect

from app.web import build_app
from core.settings import Settings
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import ROOT, free_port, make_settings, wait_for
from tests.web.conftest import member, png
from web.calendar import setup

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("OUTPOST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` "
            "(as .ci/run does) or set OUTPOST_CHROMIUM."
        )
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        await launched.close()


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[tuple[Runtime, str]]:
    """The app on a real port, with PUBLIC_URL pointing at it so media links load."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with open_runtime(make_settings(settings.data_dir, public_url=url)) as rt:
        server = TestServer(build_app(rt, [setup]), host="127.0.0.1", port=port)
        await server.start_server()
        yield rt, url
        await server.close()


async def test_log_in_drag_cancel_and_compose_in_chromium(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    ada = await member(rt, crew.workspace.id, "ada")
    today = rt.clock.now().astimezone(BERLIN)
    month = (today.replace(day=1) + timedelta(days=40)).replace(day=1)  # next month, always ahead
    scheduler = Scheduler(rt)
    drag_me = await scheduler.schedule_fields(
        crew.workspace.id,
        text="Drag me <b>please</b>",
        when=datetime(month.year, month.month, 10, 10, 30, tzinfo=BERLIN),
        destinations=["mastodon"],
    )
    cancel_me = await scheduler.schedule_fields(
        crew.workspace.id,
        text="Cancel me",
        when=datetime(month.year, month.month, 12, 15, 0, tzinfo=BERLIN),
        destinations=["mastodon"],
    )
    ARTIFACTS.mkdir(exist_ok=True)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await expect(page.get_by_role("heading")).to_contain_text("Log in to acme")
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")
    await page.goto(f"{url}/?month={month:%Y-%m}")
    chip = page.locator(f'.chip[data-post="{drag_me.id}"]')
    await expect(chip).to_contain_text("Drag me <b>please</b>")
    await expect(chip).to_contain_text("10:30")
    await page.screenshot(path=str(ARTIFACTS / "calendar-month.png"), full_page=True)

    target = f"{month.year}-{month.month:02d}-20"
    await chip.drag_to(page.locator(f'.day[data-date="{target}"]'))
    await expect(page.locator(f'.day[data-date="{target}"] .chip')).to_contain_text("Drag me")
    moved = await rt.posts.get(drag_me.id)
    assert moved.scheduled_at == datetime(month.year, month.month, 20, 10, 30, tzinfo=BERLIN)

    await page.locator(f'.chip[data-post="{cancel_me.id}"]').click()
    await expect(page.locator(".fulltext")).to_have_text("Cancel me")
    await page.screenshot(path=str(ARTIFACTS / "calendar-post.png"), full_page=True)
    await page.get_by_role("button", name="Cancel post").click()
    await expect(page.locator("article h1 .status")).to_have_text("Cancelled")
    assert (await rt.posts.get(cancel_me.id)).status == "cancelled"

    await page.goto(f"{url}/compose")
    box = page.locator(".request-box")  # the form beside it has its own buttons
    await page.locator("#request").fill("tomorrow 9am to mastodon: From the browser")
    await box.locator('input[type="file"]').set_input_files(str(png(tmp_path / "shot.png")))
    await box.get_by_role("button", name="Preview").click()
    await expect(page.locator(".preview")).to_contain_text("From the browser")
    await expect(page.locator(".preview img")).to_be_visible()
    await box.get_by_role("button", name="Schedule").click()
    await expect(page.locator(".flash")).to_contain_text("scheduled")
    await expect(page.locator(".media img")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "calendar-composed.png"), full_page=True)

    async def composed() -> bool:
        posts = await rt.posts.search(crew.workspace.id, statuses=["scheduled"])
        return any(p.content == "From the browser" and len(p.media) == 1 for p in posts)

    await wait_for(composed, timeout=10)
    assert errors == []
    await context.close()
    assert (ARTIFACTS / "calendar-month.png").stat().st_size > 0
    assert (ARTIFACTS / "calendar-post.png").stat().st_size > 0
