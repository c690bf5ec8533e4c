"""Month, week and list views: what each post shows, filters, navigation, escaping."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from scheduler.media.ingest import ingest_path
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.helpers import team
from tests.support import set_clock
from tests.web.conftest import Crew, png

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


async def _at(runtime: Runtime, crew: Crew, local: datetime, text: str, **kw: object) -> object:
    return await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text=text,
        when=local,
        destinations=["mastodon"],
        **kw,  # type: ignore[arg-type]
    )


async def test_month_view_shows_time_network_text_thumbnail_status_and_today(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    set_clock(runtime, NOW)
    image = await ingest_path(runtime, crew.team.workspace.id, png(tmp_path / "a.png"))
    await _at(
        runtime,
        crew,
        datetime(2026, 12, 3, 10, 30, tzinfo=BERLIN),
        "Webinar starts soon",
        media=[image],
    )
    page = await client.get(f"/?ws={crew.team.workspace.id}&month=2026-12")
    body = await page.text()
    assert page.status == 200
    assert "December 2026" in body
    assert ">10:30<" in body  # 09:30 UTC shown in Europe/Berlin
    assert "Times in Europe/Berlin" in body
    assert ">mastodon<" in body
    assert "Webinar starts soon" in body
    assert 'class="chip st-scheduled"' in body
    assert ">Scheduled<" in body
    assert 'class="thumb" src="http://127.0.0.1:8080/media/' in body
    assert 'class="day today" data-date="2026-12-02"' in body
    assert 'rel="prev"' in body
    assert "month=2026-11" in body
    assert "month=2027-01" in body
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


async def test_post_text_with_html_and_script_is_shown_as_text(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    set_clock(runtime, NOW)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>bold</b>'
    post = await _at(runtime, crew, datetime(2026, 12, 4, 9, 0, tzinfo=BERLIN), evil)
    for path in (
        "/?month=2026-12",
        "/?view=week&date=2026-12-04",
        "/?view=list&month=2026-12",
        f"/posts/{post.id}",  # type: ignore[attr-defined]
    ):
        body = await (await client.get(path)).text()
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert "<b>bold</b>" not in body, path
        assert html.escape(evil, quote=False)[:40] in body.replace("&#34;", '"'), path


async def test_week_and_list_views_and_filters(
    runtime: Runtime, client: TestClient[object, object], crew: Crew, tmp_path: Path
) -> None:
    set_clock(runtime, NOW)
    hook = await runtime.workspaces.add_account(
        crew.team.workspace.id,
        "webhook",
        "zapier",
        runtime.cipher.encrypt(""),
        base_url="http://127.0.0.1:9/hook",
    )
    scheduler = Scheduler(runtime)
    await _at(runtime, crew, datetime(2026, 12, 8, 9, 0, tzinfo=BERLIN), "monday post")
    late = await scheduler.schedule_fields(
        crew.team.workspace.id,
        text="hook post",
        when=datetime(2026, 12, 9, 12, 0, tzinfo=BERLIN),
        destinations=["zapier"],
    )
    await scheduler.cancel(crew.team.workspace.id, late.id)
    week = await (await client.get("/?view=week&date=2026-12-09")).text()
    assert "Week of 07 Dec 2026" in week
    assert "monday post" in week
    assert "hook post" in week
    assert ">Cancelled<" in week
    listing = await (await client.get("/?view=list&month=2026-12")).text()
    assert listing.index("monday post") < listing.index("hook post")
    only_cancelled = await (await client.get("/?view=list&month=2026-12&status=cancelled")).text()
    assert "hook post" in only_cancelled
    assert "monday post" not in only_cancelled
    by_account = await (await client.get(f"/?view=list&month=2026-12&account={hook.id}")).text()
    assert "hook post" in by_account
    assert "monday post" not in by_account
    elsewhere = await (await client.get("/?view=list&month=2027-01")).text()
    assert "Nothing in January 2027" in elsewhere


async def test_a_full_day_shows_the_first_posts_and_how_many_more(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    set_clock(runtime, NOW)
    for minute in range(7):
        await _at(runtime, crew, datetime(2026, 12, 10, 9, minute, tzinfo=BERLIN), f"busy {minute}")
    body = await (await client.get("/?month=2026-12")).text()
    assert "busy 3" in body
    assert "busy 4" not in body
    assert "+3 more" in body


async def test_another_workspaces_posts_never_show(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    set_clock(runtime, NOW)
    rival = await team(runtime, "rival", mastodon_url="http://127.0.0.1:9")
    await Scheduler(runtime).schedule_fields(
        rival.workspace.id,
        text="rival secret",
        when=NOW + timedelta(days=1),
        destinations=["mastodon"],
    )
    for path in (f"/?ws={rival.workspace.id}", "/?view=list", "/?view=week&date=2026-12-03"):
        assert "rival secret" not in await (await client.get(path)).text()


async def test_bad_query_values_get_a_clear_400(
    client: TestClient[object, object], crew: Crew
) -> None:
    for path, needle in (
        ("/?month=2026-13", "Use a month like 2026-12"),
        ("/?view=year", "Use view=month, week or list"),
        ("/?view=week&date=tomorrow", "Use a date like 2026-12-03"),
        ("/?status=lost", "is not a status"),
        ("/?view=list&page=0", "is not a page number"),
    ):
        page = await client.get(path)
        assert page.status == 400, path
        assert needle in html.unescape(await page.text()), path


async def test_times_follow_the_persons_own_zone(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    set_clock(runtime, NOW)
    await runtime.workspaces.set_user_timezone(crew.user_id, "America/New_York")
    await _at(
        runtime, crew, datetime(2026, 12, 3, 16, 0, tzinfo=BERLIN), "zone check"
    )  # 16:00 Berlin
    body = await (await client.get("/?month=2026-12")).text()
    assert "Times in America/New_York" in body
    assert ">10:00<" in body
