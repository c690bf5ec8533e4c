"""Videos in the calendar: their poster frame with a play marker, or a neutral placeholder;
checked in the HTML and in a real headless Chromium (the poster must actually load)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from scheduler.logins import create_login_link
from scheduler.media.ingest import ingest_path
from scheduler.media.poster import poster_key
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import MediaView, PostView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.media.files import encoded_video, mp4_bytes
from tests.support import set_clock
from tests.web.conftest import Crew, member, png
from tests.web.test_browser import ARTIFACTS, BERLIN, browser, site  # noqa: F401 - fixtures
from tests.web.test_compose import _form
from tests.web.test_views import NOW


async def _at(
    rt: Runtime, workspace_id: uuid.UUID, when: datetime, text: str, media: MediaView
) -> PostView:
    return await Scheduler(rt).schedule_fields(
        workspace_id,
        text=text, when=when, destinations=["mastodon"], media=[media],
    )  # fmt: skip


def chip(body: str, post: PostView) -> str:
    return body.split(f'data-post="{post.id}"', 1)[1].split("</a>", 1)[0]


async def test_month_view_shows_poster_play_marker_and_placeholder(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    set_clock(runtime, NOW)
    ws = crew.team.workspace.id
    clip = await ingest_path(runtime, ws, encoded_video(tmp_path / "clip.mp4"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(mp4_bytes())
    unreadable = await ingest_path(runtime, ws, broken)
    photo = await ingest_path(runtime, ws, png(tmp_path / "a.png"))
    day = datetime(2026, 12, 3, 10, 30, tzinfo=BERLIN)
    playable = await _at(runtime, ws, day, "Trailer", clip)
    dark = await _at(runtime, ws, day + timedelta(hours=1), "Damaged", unreadable)
    await _at(runtime, ws, day + timedelta(hours=2), "Photo", photo)
    for path in ("/?month=2026-12", "/?view=week&date=2026-12-03", "/?view=list&month=2026-12"):
        body = await (await client.get(path)).text()
        good = chip(body, playable)
        poster_img = '<span class="thumb video" title="Video"><img src="http://127.0.0.1:8080/media/'
        assert poster_img in good
        assert f"{poster_key(clip.storage_key)}?expires=" in good
        assert '<span class="play" aria-hidden="true">▶</span>' in good
        bad = chip(body, dark)
        assert '<span class="thumb video no-poster" title="Video"><span class="play"' in bad
        assert "<img" not in bad
        assert 'class="thumb" src="http://127.0.0.1:8080/media/' in body  # photos as before


async def test_compose_preview_shows_the_video_poster(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    clip = await ingest_path(
        runtime, crew.team.workspace.id, encoded_video(tmp_path / "clip.webm", codec="libvpx")
    )
    status, body = await _form(
        client, crew, "tomorrow 9am to mastodon: Trailer", "preview", media_ids=[str(clip.id)]
    )
    assert status == 200
    assert f'{poster_key(clip.storage_key)}?expires=' in body
    assert 'class="thumb video"' in body


async def test_video_poster_loads_in_chromium(
    site: tuple[Runtime, str], browser: Browser, mastodon: FakeMastodon, tmp_path: Path  # noqa: F811
) -> None:
    rt, url = site
    crew = await team(rt, mastodon_url=mastodon.url)
    ada = await member(rt, crew.workspace.id, "ada")
    today = rt.clock.now().astimezone(BERLIN)
    month = (today.replace(day=1) + timedelta(days=40)).replace(day=1)
    clip = await ingest_path(rt, crew.workspace.id, encoded_video(tmp_path / "clip.mp4"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(mp4_bytes())
    unreadable = await ingest_path(rt, crew.workspace.id, broken)
    when = datetime(month.year, month.month, 10, 10, 30, tzinfo=BERLIN)
    playable = await _at(rt, crew.workspace.id, when, "Trailer", clip)
    dark = await _at(rt, crew.workspace.id, when + timedelta(days=1), "Damaged", unreadable)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(await create_login_link(rt, crew.workspace.id, ada))
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/?ws=*")
    await page.goto(f"{url}/?month={month:%Y-%m}")
    poster = page.locator(f'.chip[data-post="{playable.id}"] .thumb.video img')
    await expect(poster).to_be_visible()
    await expect(page.locator(f'.chip[data-post="{playable.id}"] .play')).to_be_visible()
    loaded = await poster.evaluate("img => img.complete && img.naturalWidth")
    assert loaded == 64  # the poster JPEG decoded in the browser, at the video's size
    placeholder = page.locator(f'.chip[data-post="{dark.id}"] .thumb.video.no-poster')
    await expect(placeholder).to_be_visible()
    assert await placeholder.locator("img").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    await page.locator(f'.day[data-date="{when:%Y-%m}-10"]').screenshot(
        path=str(ARTIFACTS / "calendar-video.png")
    )
    await page.screenshot(path=str(ARTIFACTS / "calendar-video-month.png"), full_page=True)
    assert errors == []
    await context.close()
