"""A recurring post's page: its rule in words, and "this one" / "all" for skip, edit and cancel."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import PostView
from tests.support import set_clock
from tests.test_series import berlin
from tests.web.conftest import Crew, csrf_of, log_in
from web import views

Client = TestClient[object, object]
DAY = re.compile(r'<span class="day">([^<]+)</span>')


async def _weekly(runtime: Runtime, crew: Crew, client: Client) -> PostView:
    set_clock(runtime, datetime(2027, 3, 1, 12, tzinfo=UTC))
    await log_in(client, runtime, crew.team.workspace.id, crew.user_id)  # sessions expire
    return await Scheduler(runtime).schedule(
        crew.team.workspace.id, "every monday at 9:00 to mastodon: Weekly tip", tz="Europe/Berlin"
    )


async def _act(client: Client, post: PostView, action: str, **data: str) -> tuple[int, str]:
    page = await client.get(f"/posts/{post.id}")
    form = {"csrf": csrf_of(await page.text()), **data}
    answer = await client.post(f"/posts/{post.id}/{action}", data=form)
    return answer.status, html.unescape(await answer.text())


async def _month(client: Client, crew: Crew) -> str:
    return await (await client.get(f"/?ws={crew.team.workspace.id}&month=2027-03")).text()


async def test_the_page_of_an_occurrence_says_the_rule_in_words(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    post = await _weekly(runtime, crew, client)
    month = await _month(client, crew)
    assert month.count(f'data-series="{post.id}"') == 4  # 8, 15, 22 and 29 March
    at = quote(berlin(3, 22).isoformat(), safe="/")
    assert f'href="/posts/{post.id}?at={at}"' in month
    page = html.unescape(await (await client.get(f"/posts/{post.id}?at={at}")).text())
    assert "Repeats <strong" in page
    assert "every Monday at 09:00</strong>" in page
    assert "FREQ=WEEKLY" not in page.split("data-rule=")[1].split(">", 1)[1]  # words, not RRULE
    assert "22 Mar 2027" in page.split("<h1>")[1].split("</h1>")[0]
    assert 'name="at" value="2027-03-22T09:00:00+01:00"' in page
    assert "Cancel all (end the series)" in page


async def test_skip_edit_one_edit_all_and_cancel_all_from_the_page(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    post = await _weekly(runtime, crew, client)
    status, _ = await _act(client, post, "skip", at=berlin(3, 22).isoformat())
    assert status == 200
    assert (await runtime.posts.get(post.id)).exdates == (berlin(3, 22),)
    assert quote(berlin(3, 22).isoformat(), safe="/") not in await _month(client, crew)

    status, page = await _act(client, post, "skip", at="2027-03-23T09:00:00+01:00")
    assert status == 400
    assert "is not an upcoming occurrence of this post" in page

    status, _ = await _act(client, post, "edit_one", at=berlin(3, 15).isoformat(),
                           when="2027-03-15T11:30", text="Special edition")  # fmt: skip
    assert status == 200
    one = [p for p in await runtime.posts.search(post.workspace_id) if p.id != post.id]
    assert [(p.content, p.scheduled_at, p.series_id, p.recurrence) for p in one] == [
        ("Special edition", berlin(3, 15, 11).replace(minute=30), post.id, None)
    ]
    assert (await runtime.posts.get(post.id)).exdates == (berlin(3, 22), berlin(3, 15))

    status, page = await _act(client, post, "edit_all", text="Tip of the week",
                              repeat="every tuesday at 8:00")  # fmt: skip
    assert status == 200
    live = await runtime.posts.get(post.id)
    assert live.content == "Tip of the week"
    assert live.scheduled_at == berlin(3, 2, 8)
    assert "every Tuesday at 08:00" in page

    status, page = await _act(client, post, "edit_all", text="x", repeat="next week")
    assert status == 400
    assert "not a repeat" in page

    status, _ = await _act(client, post, "cancel")
    assert status == 200
    live = await runtime.posts.get(post.id)
    assert live.status == "cancelled"
    assert live.recurrence is None
    month = await _month(client, crew)
    assert "?at=" not in month  # no virtual occurrence left
    assert "Special edition" in month  # the detached one stays, a post of its own


async def test_the_list_pages_keep_every_row_and_every_occurrence_once(
    runtime: Runtime, client: Client, crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "LIST_PAGE", 3)
    await _weekly(runtime, crew, client)  # Mondays 8 (its row), 15, 22 and 29 March
    for day in (10, 12, 20, 25, 30):
        await Scheduler(runtime).schedule_fields(
            crew.team.workspace.id, text=f"On the {day}th", when=berlin(3, day, 12),
            destinations=["mastodon"],
        )  # fmt: skip

    async def days(page: int) -> list[str]:
        url = f"/?ws={crew.team.workspace.id}&view=list&month=2027-03&page={page}"
        return DAY.findall(await (await client.get(url)).text())

    assert await days(1) == ["Mon 08 Mar", "Wed 10 Mar", "Fri 12 Mar", "Mon 15 Mar"]
    assert await days(2) == ["Sat 20 Mar", "Mon 22 Mar", "Thu 25 Mar", "Mon 29 Mar", "Tue 30 Mar"]


async def test_a_chip_in_the_list_skips_its_occurrence(
    runtime: Runtime, client: Client, crew: Crew
) -> None:
    post = await _weekly(runtime, crew, client)
    listing = f"/?ws={crew.team.workspace.id}&view=list&month=2027-03"
    page = await (await client.get(listing)).text()
    assert page.count(f'action="/posts/{post.id}/skip"') == 4
    answer = await client.post(
        f"/posts/{post.id}/skip",
        data={"csrf": csrf_of(page), "at": berlin(3, 22).isoformat(), "next": listing},
    )
    assert answer.status == 200
    assert str(answer.url).endswith("done=skipped")
    assert "view=list" in str(answer.url)
    shown = DAY.findall(await answer.text())
    assert shown == ["Mon 08 Mar", "Mon 15 Mar", "Mon 29 Mar"]
    assert (await runtime.posts.get(post.id)).exdates == (berlin(3, 22),)
