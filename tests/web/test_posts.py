"""A post's page and every action on it, through a real worker where the flow publishes."""

from __future__ import annotations

import asyncio
import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import PostView
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import team
from tests.support import wait_for
from tests.web.conftest import Crew, csrf_of

BERLIN = ZoneInfo("Europe/Berlin")


async def _post(runtime: Runtime, crew: Crew, text: str = "Hello", days: float = 2) -> PostView:
    return await Scheduler(runtime).schedule_fields(
        crew.team.workspace.id,
        text=text,
        when=runtime.clock.now() + timedelta(days=days),
        destinations=["mastodon"],
    )


async def _act(
    client: TestClient[object, object], post: PostView, action: str, **data: str
) -> tuple[int, str]:
    page = await client.get(f"/posts/{post.id}")
    form = {"csrf": csrf_of(await page.text()), **data}
    answer = await client.post(f"/posts/{post.id}/{action}", data=form)
    return answer.status, html.unescape(await answer.text())


async def _status(runtime: Runtime, post: PostView, wanted: str) -> None:
    async def reached() -> bool:
        return (await runtime.posts.get(post.id)).status == wanted

    await wait_for(reached, timeout=20)


async def test_post_page_shows_text_destinations_and_actions(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    post = await _post(runtime, crew, "Line one\nLine two")
    page = await client.get(f"/posts/{post.id}")
    body = await page.text()
    assert page.status == 200
    assert "Line one\nLine two" in body
    assert "@outpost@fake.social" in body
    for action in ("reschedule", "edit", "now", "cancel"):
        assert f'action="/posts/{post.id}/{action}"' in body
    assert "/retry" not in body


async def test_another_workspaces_post_is_404_for_pages_and_actions(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    rival = await team(runtime, "rival", mastodon_url="http://127.0.0.1:9")
    theirs = await Scheduler(runtime).schedule_fields(
        rival.workspace.id,
        text="not yours",
        when=runtime.clock.now() + timedelta(days=1),
        destinations=["mastodon"],
    )
    page = await client.get(f"/posts/{theirs.id}")
    assert page.status == 404
    assert "not yours" not in await page.text()
    csrf = csrf_of(await (await client.get("/")).text())
    for action in ("cancel", "reschedule", "edit", "now", "retry"):
        answer = await client.post(f"/posts/{theirs.id}/{action}", data={"csrf": csrf})
        assert answer.status == 404, action
    assert (await runtime.posts.get(theirs.id)).status == "scheduled"
    assert (await client.get("/posts/not-a-uuid")).status == 404


async def test_reschedule_by_time_and_by_day(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    post = await _post(runtime, crew)
    when = (
        (runtime.clock.now() + timedelta(days=5))
        .astimezone(BERLIN)
        .replace(hour=10, minute=30, second=0, microsecond=0)
    )
    status, _ = await _act(client, post, "reschedule", when=when.strftime("%Y-%m-%dT%H:%M"))
    assert status == 200
    moved = await runtime.posts.get(post.id)
    assert moved.scheduled_at == when
    assert moved.destinations[0].due_at == when
    assert moved.revision > post.revision
    day = (when + timedelta(days=3)).date()
    page = await client.get("/")
    answer = await client.post(
        f"/posts/{post.id}/reschedule",
        data={"csrf": csrf_of(await page.text()), "date": day.isoformat(), "next": "/?month=x"},
        allow_redirects=False,
    )
    assert answer.status == 303
    assert answer.headers["Location"] == "/?month=x&done=rescheduled"
    dragged = await runtime.posts.get(post.id)
    assert dragged.scheduled_at == datetime.combine(day, when.time(), tzinfo=BERLIN)


async def test_bad_reschedules_say_what_is_wrong_and_change_nothing(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    post = await _post(runtime, crew)
    status, body = await _act(client, post, "reschedule", when="2020-01-01T10:00")
    assert status == 400
    assert "is in the past" in body
    status, body = await _act(client, post, "reschedule", when="someday")
    assert status == 400
    assert "is not a date and time" in body
    assert (await runtime.posts.get(post.id)).scheduled_at == post.scheduled_at


async def test_edit_text(runtime: Runtime, client: TestClient[object, object], crew: Crew) -> None:
    post = await _post(runtime, crew)
    status, body = await _act(client, post, "edit", text="Better words")
    assert status == 200
    assert "Better words" in body
    assert (await runtime.posts.get(post.id)).content == "Better words"
    status, body = await _act(client, post, "edit", text="x" * 600)
    assert status == 400
    assert "500" in body
    status, body = await _act(client, post, "edit", text="   ")
    assert status == 400
    assert "The text is empty" in body
    assert (await runtime.posts.get(post.id)).content == "Better words"


async def test_cancel_then_cancel_again_is_a_conflict(
    runtime: Runtime,
    client: TestClient[object, object],
    crew: Crew,
    worker: object,
    mastodon: FakeMastodon,
) -> None:
    post = await _post(runtime, crew, days=4 / 86400)  # queued, due in 4 s
    status, body = await _act(client, post, "cancel")
    assert status == 200
    assert "Done: cancelled" in body
    assert (await runtime.posts.get(post.id)).status == "cancelled"
    status, body = await _act(client, post, "cancel")
    assert status == 409
    assert "already cancelled" in body
    await asyncio.sleep(max(0.0, (post.scheduled_at - runtime.clock.now()).total_seconds()) + 1.5)
    assert mastodon.statuses == []  # the queued job found the row cancelled


async def test_post_now_publishes_and_the_page_shows_link_and_attempt(
    runtime: Runtime,
    client: TestClient[object, object],
    crew: Crew,
    worker: object,
    mastodon: FakeMastodon,
) -> None:
    post = await _post(runtime, crew, "Right away")
    status, _ = await _act(client, post, "now")
    assert status == 200
    await _status(runtime, post, "published")
    assert [s["text"] for s in mastodon.statuses] == ["Right away"]
    body = await (await client.get(f"/posts/{post.id}")).text()
    assert ">Published<" in body
    assert mastodon.statuses[0]["url"] in body
    assert "Attempt 1 at" in body


async def test_retry_failed_publishes_after_a_permanent_error(
    runtime: Runtime,
    client: TestClient[object, object],
    crew: Crew,
    worker: object,
    mastodon: FakeMastodon,
) -> None:
    mastodon.fail_next("422")
    post = await _post(runtime, crew, "Second time lucky")
    await _act(client, post, "now")
    await _status(runtime, post, "failed")
    page = await (await client.get(f"/posts/{post.id}")).text()
    assert ">Failed<" in page
    assert f'action="/posts/{post.id}/retry"' in page
    assert "Attempt 1 at" in page
    assert 'class="why"' in page
    month = await (await client.get("/?view=month")).text()
    assert "1 failed" in month
    status, _ = await _act(client, post, "retry")
    assert status == 200
    await _status(runtime, post, "published")
    assert [s["text"] for s in mastodon.statuses] == ["Second time lucky"]
    status, body = await _act(client, post, "retry")
    assert status == 409
    assert "only failed posts can be retried" in body
