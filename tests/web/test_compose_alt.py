"""The compose box in a real headless Chromium: each attached file gets a description field;
an over-long description is refused in the preview with nothing stored, and a fitting one is
sent by a real worker as Mastodon's `description` and Bluesky's `alt`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from scheduler.logins import create_login_link
from scheduler.publishing.tasks import make_worker
from scheduler.runtime import Runtime
from tests.alt.support import (
    MASTODON_LIMIT,
    bluesky_alts,
    bluesky_pds,
    connect_bluesky,
    mastodon_descriptions,
)
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows, team
from tests.support import wait_for
from tests.web.conftest import member, png
from tests.web.test_browser import browser, site

pytestmark = pytest.mark.browser
__all__ = ["browser", "site"]  # fixtures shared with the other browser test
ROOM = "A bright room with six desks by a window"


@asynccontextmanager
async def running_worker(rt: Runtime) -> AsyncIterator[None]:
    instance = make_worker(rt, handle_signals=False)
    task = asyncio.create_task(instance.main())
    try:
        yield
    finally:
        task.cancel()
        jobs = [t for t in instance.tasks.values() if not t.done()]
        for job in jobs:
            job.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await asyncio.gather(*jobs, return_exceptions=True)


async def test_compose_description_field_reaches_mastodon_and_bluesky(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    ada = await member(rt, crew.workspace.id, "ada")
    async with bluesky_pds() as bluesky, running_worker(rt):
        await connect_bluesky(rt, crew.workspace.id, bluesky)
        page = await (await browser.new_context()).new_page()
        await page.goto(await create_login_link(rt, crew.workspace.id, ada))
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(f"{url}/?ws=*")
        await page.goto(f"{url}/compose")
        box = page.locator(".request-box")  # the form beside it has its own buttons
        await page.locator("#request").fill("now to mastodon, bluesky: Our new office")
        await box.locator('input[type="file"]').set_input_files(str(png(tmp_path / "room.png")))
        await box.get_by_role("button", name="Preview").click()
        described = page.get_by_label("Description of room.png (alt text)")
        await expect(described).to_be_visible()

        await described.fill("x" * (MASTODON_LIMIT + 1))
        await box.get_by_role("button", name="Preview").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            f"a description (alt text) is {MASTODON_LIMIT + 1} characters; Mastodon allows "
            f"{MASTODON_LIMIT}"
        )
        await expect(box.get_by_role("button", name="Schedule")).to_have_count(0)
        assert await count_rows("scheduled_posts") == 0

        await described.fill(ROOM)
        await box.get_by_role("button", name="Preview").click()
        await expect(described).to_have_value(ROOM)  # kept across previews
        await expect(page.locator(".preview img")).to_have_attribute("alt", ROOM)
        await box.get_by_role("button", name="Schedule").click()
        await expect(page.locator(".flash")).to_contain_text("scheduled")

        async def published() -> bool:
            posts = await rt.posts.search(crew.workspace.id)
            return [p.status for p in posts] == ["published"]

        await wait_for(published, timeout=30)
        assert mastodon_descriptions(mastodon) == [ROOM]
        assert bluesky_alts(bluesky) == [ROOM]
    [stored] = await rt.posts.search(crew.workspace.id)
    assert [m.alt for m in stored.media] == [ROOM]
