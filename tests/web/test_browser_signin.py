"""Signing in with Supabase Auth in a real headless Chromium, against the fake project:
by magic link, then by the GitHub provider for the same address, landing in the calendar each
time with one ``users`` row between them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, expect

from core.settings import Settings
from tests.fakes.supabase import FakeSupabase
from tests.web.signin_support import Site, member_by_email, signin_site, users_with_email
from tests.web.test_browser import ARTIFACTS, browser

pytestmark = pytest.mark.browser
__all__ = ["browser"]
ADA = "ada@example.com"


@pytest.fixture
async def supa() -> AsyncIterator[FakeSupabase]:
    fake = FakeSupabase()
    fake.auth.providers = {"github": (ADA, "Ada Lovelace")}
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def site(settings: Settings, supa: FakeSupabase) -> AsyncIterator[Site]:
    async with signin_site(settings.data_dir, supa) as made:
        yield made


async def test_magic_link_and_github_sign_in_land_in_the_calendar_as_one_user(
    site: Site, browser: Browser
) -> None:
    ws = await site.rt.workspaces.create("acme")
    await site.rt.signin.invite(ws.id, ADA, "editor", None, site.rt.clock.now() + timedelta(days=7))
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []

    context = await browser.new_context()
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{site.url}/login")
    await page.get_by_label("E-mail").fill(ADA)
    await page.get_by_role("button", name="Send me a link").click()
    await expect(page.get_by_role("heading")).to_have_text("Check your e-mail")
    await page.goto(site.supa.auth.link_for(ADA))  # the link from the mail, same browser
    await page.wait_for_url(f"{site.url}/?ws={ws.id}")
    await expect(page.locator("header .ws")).to_have_text("acme")
    await page.screenshot(path=str(ARTIFACTS / "signin-magic-link.png"), full_page=True)
    [ada] = await users_with_email(ADA)  # made by the first sign-in, from the invitation
    await context.close()

    context = await browser.new_context()
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{site.url}/login")
    await page.get_by_role("link", name="Continue with Github").click()
    await expect(page.get_by_role("heading")).to_have_text("Authorize Outpost")
    await page.get_by_role("link", name="Authorize").click()
    await page.wait_for_url(f"{site.url}/?ws={ws.id}")
    await expect(page.locator("header .ws")).to_have_text("acme")
    await context.close()

    assert await users_with_email(ADA) == [ada]  # two sign-ins, one user
    assert errors == []


async def test_a_member_of_two_workspaces_picks_one_in_the_browser(
    site: Site, browser: Browser
) -> None:
    acme = await site.rt.workspaces.create("acme")
    zeta = await site.rt.workspaces.create("zeta")
    await member_by_email(site.rt, acme.id, ADA)
    await site.rt.workspaces.sync_chat_user(zeta.id, "slack", "T1", ADA)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{site.url}/login")
    await page.get_by_role("link", name="Continue with Github").click()
    await page.get_by_role("link", name="Authorize").click()
    await expect(page.get_by_role("heading")).to_have_text("Choose a workspace")
    await page.get_by_role("link", name="zeta").click()
    await page.wait_for_url(f"{site.url}/?ws={zeta.id}")
    await expect(page.locator("#ws-switch")).to_have_value(str(zeta.id))
    await page.locator("#ws-switch").select_option(str(acme.id))  # the switcher
    await page.wait_for_url(f"{site.url}/?ws={acme.id}")
    await context.close()
