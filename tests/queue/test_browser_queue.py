"""Queue slots in a real Chromium: set them on the settings page, see the empty ones in the
week view, move a queued post up with its button."""

from __future__ import annotations

from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from core.states import Role
from scheduler.logins import create_login_link
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.web.conftest import member
from tests.web.test_browser import ARTIFACTS, browser, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")


async def test_slots_page_week_placeholders_and_move_up_in_chromium(
    site: tuple[Runtime, str],  # noqa: F811
    browser: Browser,  # noqa: F811
    mastodon: FakeMastodon,
) -> None:
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    ada = await member(rt, crew.workspace.id, "ada")
    await rt.approvals.set_role(crew.workspace.id, ada, Role.OWNER)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")

    await page.goto(f"{url}/settings")
    await page.get_by_label("Slots").fill("mon-sun 9:00, 15:00")
    await page.get_by_role("button", name="Save slots").click()
    await expect(page.locator(".flash")).to_contain_text("slots saved")
    await expect(page.locator("ul.slots")).to_contain_text("Workspace: mon 09:00, 15:00")

    scheduler = Scheduler(rt)
    first, second, third = [
        await scheduler.schedule(crew.workspace.id, f"queue to mastodon: Q{n}", tz="Europe/Berlin")
        for n in (1, 2, 3)
    ]
    day = second.scheduled_at.astimezone(BERLIN).date()
    await page.goto(f"{url}/?view=week&date={day.isoformat()}")
    cell = page.locator(f'.day[data-date="{day.isoformat()}"]')
    await expect(cell.locator(f'.chip[data-post="{second.id}"]')).to_contain_text("Q2")
    await expect(page.locator(".slot-free").first).to_contain_text("free slot")
    taken = second.scheduled_at.astimezone(BERLIN).strftime("%H:%M")
    assert taken not in await cell.locator(".slot-free .time").all_inner_texts()
    # A slot already gone by today is not offered.
    now = rt.clock.now().astimezone(BERLIN)
    today = page.locator(f'.day[data-date="{now.date().isoformat()}"] .slot-free .time')
    assert all(t > now.strftime("%H:%M") for t in await today.all_inner_texts())
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "calendar-week-slots.png"), full_page=True)

    await page.get_by_role("button", name="Move Q2 up in the queue").click()
    await expect(page.locator(".flash")).to_contain_text("moved up")
    moved, swapped = await rt.posts.get(second.id), await rt.posts.get(first.id)
    assert moved.scheduled_at == first.scheduled_at
    assert swapped.scheduled_at == second.scheduled_at

    # Drag and drop: a queued post dropped on another of its queue swaps their times. Of the
    # three queued posts (two slots a day), two share a day: drag one onto the other.
    posts = sorted(
        [await rt.posts.get(p.id) for p in (first, second, third)], key=lambda p: p.scheduled_at
    )
    a, b = next(
        (x, y) for x, y in pairwise(posts)
        if x.scheduled_at.astimezone(BERLIN).date() == y.scheduled_at.astimezone(BERLIN).date()
    )  # fmt: skip
    on = a.scheduled_at.astimezone(BERLIN).date().isoformat()
    await page.goto(f"{url}/?view=week&date={on}")
    await page.locator(f'.chip[data-post="{a.id}"]').drag_to(
        page.locator(f'[data-queued="{b.id}"]')
    )
    await expect(page.locator(".flash")).to_contain_text("swapped")
    assert (await rt.posts.get(a.id)).scheduled_at == b.scheduled_at
    assert (await rt.posts.get(b.id)).scheduled_at == a.scheduled_at
    assert errors == []
    await context.close()
