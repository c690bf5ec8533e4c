"""The iCal feed: secret, revocable, escaped and folded as RFC 5545 says."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.calendar import CalendarItem
from tests.web.conftest import Crew, csrf_of, log_in
from web.feed import fold, ics


async def test_feed_lists_posts_and_rotating_revokes_the_old_url(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    post = await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text="Webinar; bring questions, please",
        when=runtime.clock.now() + timedelta(days=1),
        destinations=["mastodon"],
    )
    page = await (await client.get("/settings")).text()
    url = html.unescape(re.search(r'class="feed" type="text" readonly value="([^"]+)"', page)[1])
    path = url.removeprefix(runtime.settings.base_url)
    client.session.cookie_jar.clear()  # a calendar app has no session: the key is enough
    feed = await client.get(path)
    assert feed.status == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = await feed.text()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:{post.id}@outpost" in body
    assert "Webinar\\; bring questions\\, please" in body
    assert post.scheduled_at.strftime("DTSTART:%Y%m%dT%H%M%SZ") in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    await log_in(client, runtime, crew.team.workspace.id, crew.user_id)
    settings = await (await client.get("/settings")).text()
    rotated = await client.post(
        "/settings/feed", data={"csrf": csrf_of(settings), "ws": str(crew.team.workspace.id)}
    )
    assert rotated.status == 200
    fresh = html.unescape(
        re.search(r'class="feed" type="text" readonly value="([^"]+)"', await rotated.text())[1]
    )
    assert fresh != url
    assert (await client.get(path)).status == 404
    assert (await client.get(fresh.removeprefix(runtime.settings.base_url))).status == 200


async def test_forged_keys_are_404(client: TestClient[object, object], crew: Crew) -> None:
    ws = crew.team.workspace.id
    for key in ("", "nonsense", f"{ws.hex}.1.{'0' * 40}", f"{ws.hex}.x.y"):
        assert (await client.get(f"/calendar.ics?key={key}")).status == 404


def test_fold_keeps_utf8_characters_whole() -> None:
    line = "SUMMARY:" + "🚀é" * 40
    folded = fold(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in folded)
    assert "".join(p.removeprefix(" ") if i else p for i, p in enumerate(folded)) == line


def test_ics_escapes_newlines_and_marks_cancelled() -> None:
    item = CalendarItem(
        id=uuid.uuid4(),
        scheduled_at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        status="cancelled",
        head="two\nlines",
        day=datetime(2026, 12, 3, tzinfo=UTC).date(),
        rank=1,
        day_total=1,
        day_failed=0,
        destinations=(("mastodon", "@a@b", "cancelled"),),
        thumb_key=None,
        thumb_type=None,
    )
    text = ics("acme", [item], "https://x.example", datetime(2026, 12, 1, tzinfo=UTC))
    assert "two\\nlines" in text
    assert "STATUS:CANCELLED" in text
    assert "DTSTART:20261203T093000Z" in text
