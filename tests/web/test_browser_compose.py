"""The compose form in a real headless Chromium: tick X and Mastodon, pick a time, type an X
version in the X tab while the counts follow, schedule; Postgres holds both destinations, the
time in the workspace's zone and the version; a real worker then sends X its version and
Mastodon the main text (FakeX, FakeMastodon)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from scheduler.logins import create_login_link
from scheduler.runtime import Runtime
from storage.db import _plain_dsn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX
from tests.helpers import team
from tests.support import TEST_DB, wait_for
from tests.web.conftest import member
from tests.web.test_browser import ARTIFACTS, browser, site
from tests.web.test_compose_alt import running_worker
from tests.web.test_compose_form import LONG_URL, connect_x

pytestmark = pytest.mark.browser
__all__ = ["browser", "site"]  # fixtures shared with the other browser tests
BERLIN = ZoneInfo("Europe/Berlin")
MAIN = f"Our new office opens on Monday: {LONG_URL}"
X_VERSION = "New office, Monday 🚀"


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    fake = FakeX()
    await fake.start()
    yield fake
    await fake.stop()


async def _stored() -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        post = await conn.fetchrow("SELECT * FROM scheduled_posts")
        dests = await conn.fetch("SELECT social_account_id FROM post_destinations")
    finally:
        await conn.close()
    return post, list(dests)


async def test_compose_form_versions_reach_each_network(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon, fake_x: FakeX
) -> None:
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    x = await connect_x(rt, crew.workspace.id, fake_x.url)
    ada = await member(rt, crew.workspace.id, "ada", tz="America/New_York")  # not the zone used
    due = (rt.clock.now().astimezone(BERLIN) + timedelta(days=1)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")
    await page.goto(f"{url}/compose")

    await expect(page.locator("#when-zone")).to_contain_text("Europe/Berlin")
    x_tab = page.get_by_role("tab", name=re.compile(r"^X\b"))
    await expect(x_tab).to_be_hidden()  # no X account ticked yet
    await page.get_by_role("checkbox", name="X @outpost").check()
    await page.get_by_role("checkbox", name="Mastodon @outpost@fake.social").check()
    await expect(x_tab).to_be_visible()
    await page.get_by_label("Date and time").fill(f"{due:%Y-%m-%dT%H:%M}")
    await page.get_by_label("Text", exact=True).fill(MAIN)
    counts = page.locator("#counts")
    # X and Mastodon weigh the 116-character URL as 23: the server's counting, live.
    await expect(counts.locator('[data-platform="x"]')).to_have_text(
        f"X: {len(MAIN) - len(LONG_URL) + 23}/280"
    )
    await expect(counts.locator('[data-platform="mastodon"]')).to_contain_text("/500")

    await x_tab.click()
    await expect(x_tab).to_have_attribute("aria-selected", "true")
    await page.get_by_label("Version for X").fill(X_VERSION)
    await expect(counts.locator('[data-platform="x"]')).to_have_text(
        "X: 21/280 (its own version)"  # the rocket weighs 2
    )
    await expect(x_tab.locator(".count")).to_have_text("21/280")
    # The tabs follow the keyboard (arrows, Home, End), as WAI-ARIA's tabs pattern has it.
    await page.get_by_role("tab", name="Main text").press("ArrowRight")
    await expect(page.get_by_role("tab", name=re.compile(r"^Mastodon"))).to_be_focused()
    await page.keyboard.press("End")
    await expect(x_tab).to_be_focused()
    await expect(page.get_by_label("Version for X")).to_have_value(X_VERSION)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "compose-form.png"), full_page=True)

    await page.get_by_role("button", name="Schedule post").click()
    await expect(page.locator(".flash")).to_contain_text("scheduled")
    post, dests = await _stored()
    assert post["scheduled_at"] == due  # 10:30 in Berlin, not in ada's New York
    assert post["timezone"] == "Europe/Berlin"
    assert json.loads(post["variants"]) == {"x": X_VERSION}
    assert post["content"] == MAIN
    assert {d["social_account_id"] for d in dests} == {x.id, crew.accounts["mastodon"].id}

    async with running_worker(rt):
        await page.get_by_role("button", name="Post now").click()

        async def published() -> bool:
            return (await rt.posts.get(post["id"])).status == "published"

        await wait_for(published, timeout=30)
    assert [p["_sent_text"] for p in fake_x.posts] == [X_VERSION]
    assert [s["text"] for s in mastodon.statuses] == [MAIN]
    assert errors == []
    await context.close()


async def test_compose_form_without_javascript(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon
) -> None:
    """Every version box shows, and a text too long for X is refused beside X's box."""
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    await connect_x(rt, crew.workspace.id)
    ada = await member(rt, crew.workspace.id, "ada")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")
    await page.goto(f"{url}/compose")
    await expect(page.get_by_role("tab")).to_have_count(0)  # the tab strip needs the script
    await expect(page.get_by_label("Version for X")).to_be_visible()
    await expect(page.get_by_label("Version for Mastodon")).to_be_visible()
    await page.get_by_role("checkbox", name="X @outpost").check()
    tomorrow = rt.clock.now().astimezone(BERLIN) + timedelta(days=1)
    await page.get_by_label("Date and time").fill(f"{tomorrow:%Y-%m-%d}T09:00")
    await page.get_by_label("Text", exact=True).fill("y" * 281)
    await page.get_by_role("button", name="Schedule post").click()
    beside_x = page.locator("#problems-x")
    await expect(beside_x).to_be_visible()
    await expect(beside_x).to_contain_text("280")
    await expect(page.get_by_label("Text", exact=True)).to_have_value("y" * 281)
    await expect(page.locator("#counts")).to_contain_text("X: 281/280")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "compose-form-refused.png"), full_page=True)
    assert await rt.posts.search(crew.workspace.id) == []
    await context.close()
