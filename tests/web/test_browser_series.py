"""A weekly post in a real Chromium: every occurrence of the month drawn, one skipped through
the page, and the month on a 390 px phone showing each post's network and text.

Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from scheduler.logins import create_login_link
from scheduler.occurrences import occurrences
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.views import PostView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.web.conftest import member
from tests.web.test_browser import ARTIFACTS, BERLIN, browser, site

pytestmark = pytest.mark.browser
__all__ = ["browser", "site"]  # fixtures


def _month_of(post: PostView) -> datetime:
    """The first month from the post's first occurrence on that holds at least three."""
    first = post.scheduled_at.astimezone(BERLIN).replace(day=1, hour=0, minute=0)
    return first if post.scheduled_at.astimezone(BERLIN).day <= 14 else _next(first)


def _next(month: datetime) -> datetime:
    return (month + timedelta(days=32)).replace(day=1)


async def _weekly(rt: Runtime, mastodon: FakeMastodon, page: Page, url: str) -> PostView:
    crew = await team(rt, mastodon_url=mastodon.url)
    ada = await member(rt, crew.workspace.id, "ada")
    post = await Scheduler(rt).schedule(
        crew.workspace.id, "every monday at 9:00 to mastodon: Weekly tip for the team",
        tz="Europe/Berlin",
    )  # fmt: skip
    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")
    return post


async def test_a_weekly_post_shows_every_occurrence_and_one_is_skipped_in_chromium(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon
) -> None:
    rt, url = site
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    post = await _weekly(rt, mastodon, page, url)
    assert post.recurrence is not None
    month = _month_of(post)
    start, end = month.astimezone(UTC), _next(month).astimezone(UTC)
    expected = occurrences(
        post.recurrence, tz=post.timezone, dtstart=post.scheduled_at, start=start, end=end
    )
    assert len(expected) >= 3

    await page.goto(f"{url}/?month={month:%Y-%m}")
    chips = page.locator(f'.chip[data-series="{post.id}"]')
    await expect(chips).to_have_count(len(expected))
    for at in expected:
        cell = page.locator(f'.day[data-date="{at.astimezone(BERLIN):%Y-%m-%d}"]')
        chip = cell.locator(f'.chip[data-series="{post.id}"]')
        await expect(chip).to_contain_text("09:00")
        await expect(chip).to_contain_text("Weekly tip")
        await expect(chip.locator(".recurs")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "calendar-series.png"), full_page=True)

    skipped = expected[1]  # an occurrence after the live row's own
    day = f"{skipped.astimezone(BERLIN):%Y-%m-%d}"
    await page.locator(f'.day[data-date="{day}"] .chip[data-series="{post.id}"]').click()
    await expect(page.locator(".repeats")).to_have_text(
        "Repeats every Monday at 09:00 (Europe/Berlin)."
    )
    await expect(page.locator("article h1")).to_contain_text(f"{skipped.astimezone(BERLIN):%d %b}")
    await page.screenshot(path=str(ARTIFACTS / "calendar-occurrence.png"), full_page=True)
    await page.get_by_role("button", name="Skip this one").click()
    await expect(page.locator(".flash")).to_have_text("Done: skipped.")
    assert (await rt.posts.get(post.id)).exdates == (skipped,)

    await page.goto(f"{url}/?month={month:%Y-%m}")
    await expect(chips).to_have_count(len(expected) - 1)
    await expect(page.locator(f'.day[data-date="{day}"] .chip')).to_have_count(0)
    await page.screenshot(path=str(ARTIFACTS / "calendar-series-skipped.png"), full_page=True)
    assert errors == []
    await context.close()


async def test_a_phone_sees_each_posts_network_and_the_start_of_its_text(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon
) -> None:
    rt, url = site
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = await context.new_page()
    post = await _weekly(rt, mastodon, page, url)
    await page.goto(f"{url}/?month={post.scheduled_at.astimezone(BERLIN):%Y-%m}")
    chip = page.locator(f'.chip[data-series="{post.id}"]').first
    await expect(chip.locator(".time")).to_be_visible()
    await expect(chip.locator(".net")).to_be_visible()
    await expect(chip.locator(".net")).to_have_text("mastodon")
    await expect(chip.locator(".text")).to_be_visible()
    box = await chip.locator(".text").bounding_box()
    assert box is not None
    assert box["width"] > 100  # room for the start of the text, not a sliver
    shown = await chip.locator(".text").evaluate("e => e.innerText")
    assert shown.startswith("Weekly tip")
    # The month is a list of busy days on a phone: nothing wider than the screen.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "calendar-phone.png"), full_page=True)
    await context.close()
