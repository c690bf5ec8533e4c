"""Each plan limit through the REST API: refused with a message naming the plan that lifts it,
and nothing written; the unlimited default refuses nothing."""

from __future__ import annotations

import asyncio
import io

import aiohttp
from PIL import Image

from scheduler.plans import set_plan
from tests.api.conftest import Api
from tests.helpers import count_rows
from tests.plans.conftest import media_files


def png(side: int, color: str = "red") -> bytes:
    """A PNG of noise-free colour: ``side`` sets its size (a few hundred bytes to tens of KB)."""
    out = io.BytesIO()
    image = Image.effect_noise((side, side), 80).convert("RGB") if side > 64 else Image.new(
        "RGB", (side, side), color
    )
    image.save(out, "PNG")
    return out.getvalue()


def form(data: bytes, name: str = "photo.png") -> aiohttp.FormData:
    out = aiohttp.FormData()
    out.add_field("file", data, filename=name, content_type="application/octet-stream")
    return out


def webhook(handle: str) -> dict[str, str]:
    return {"platform": "webhook", "handle": handle, "base_url": "https://hooks.example.com/1"}


async def test_accounts_limit_refuses_the_next_and_renewing_still_works(api: Api) -> None:
    await set_plan(api.rt, "acme", "tiny")  # 2 accounts; the team has Mastodon already
    status, made, _ = await api.call("POST", "/api/v1/accounts", json=webhook("zapier"))
    assert status == 201, made
    status, answer, _ = await api.call("POST", "/api/v1/accounts", json=webhook("n8n"))
    assert status == 403
    assert answer["error"]["code"] == "plan_limit"
    message = answer["error"]["message"]
    assert "This workspace's tiny plan allows 2 connected accounts; the bigger plan allows 5." in (
        message
    )
    assert "outpost workspace plan acme bigger" in message
    assert await count_rows("social_accounts") == 2
    # The same account connected again renews it: not a new one, never refused.
    status, again, _ = await api.call("POST", "/api/v1/accounts", json=webhook("zapier"))
    assert status == 201, again
    assert await count_rows("social_accounts") == 2
    await set_plan(api.rt, "acme", "bigger")
    status, _, _ = await api.call("POST", "/api/v1/accounts", json=webhook("n8n"))
    assert status == 201


async def test_posts_per_month_refuses_the_third(api: Api) -> None:
    await set_plan(api.rt, "acme", "tiny")
    for n in range(2):
        status, post, _ = await api.call(
            "POST", "/api/v1/posts", json={"request": f"tomorrow 9am to mastodon: post {n}"}
        )
        assert status == 201, post
    status, answer, _ = await api.call(
        "POST", "/api/v1/posts", json={"request": "tomorrow 10am to mastodon: one too many"}
    )
    assert status == 403
    assert answer["error"]["message"].startswith(
        "This workspace's tiny plan allows 2 scheduled posts a month; the bigger plan allows 10."
    )
    assert await count_rows("scheduled_posts") == 2
    assert await count_rows("post_destinations") == 2
    # Structured fields go through the same use case and the same limit.
    status, answer, _ = await api.call(
        "POST", "/api/v1/posts",
        json={"text": "fields", "when": "2030-01-01T09:00:00+00:00", "destinations": ["mastodon"]},
    )  # fmt: skip
    assert status == 403, answer
    assert await count_rows("scheduled_posts") == 2


async def test_concurrent_creates_cannot_pass_the_monthly_limit(api: Api) -> None:
    await set_plan(api.rt, "acme", "tiny")
    answers = await asyncio.gather(*(
        api.call("POST", "/api/v1/posts", json={"request": f"tomorrow 9am to mastodon: race {n}"})
        for n in range(8)
    ))  # fmt: skip
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [201, 201] + [403] * 6
    assert await count_rows("scheduled_posts") == 2


async def test_upload_over_the_plan_is_refused_and_nothing_is_stored(api: Api) -> None:
    await set_plan(api.rt, "acme", "tiny")  # files up to 0.01 MB
    small, big = png(16), png(200)
    assert len(small) < 10_000 < len(big)
    status, answer, _ = await api.call("POST", "/api/v1/media", data=form(big))
    assert status == 403, answer
    assert "tiny plan takes files up to 0.01 MB; the bigger plan allows 1." in (
        answer["error"]["message"]
    )
    assert await count_rows("media_library") == 0
    assert media_files(api.rt.settings) == []
    status, made, _ = await api.call("POST", "/api/v1/media", data=form(small))
    assert status == 201, made


async def test_the_unlimited_default_refuses_nothing(api: Api) -> None:
    # No plan set: DEFAULT_PLAN (unlimited) over every limit of the tiny plan.
    for n in range(4):
        status, _, _ = await api.call("POST", "/api/v1/accounts", json=webhook(f"hook{n}"))
        assert status == 201
    answers = await asyncio.gather(*(
        api.call("POST", "/api/v1/posts", json={"request": f"tomorrow 9am to mastodon: p{n}"})
        for n in range(5)
    ))  # fmt: skip
    assert [status for status, _, _ in answers] == [201] * 5
    status, _, _ = await api.call("POST", "/api/v1/media", data=form(png(200)))
    assert status == 201
    assert (await count_rows("social_accounts"), await count_rows("scheduled_posts")) == (5, 5)


async def test_concurrent_connects_cannot_pass_the_accounts_limit(api: Api) -> None:
    await set_plan(api.rt, "acme", "tiny")  # 2 accounts; Mastodon is one
    answers = await asyncio.gather(*(
        api.call("POST", "/api/v1/accounts", json=webhook(f"race{n}")) for n in range(6)
    ))  # fmt: skip
    assert sorted(status for status, _, _ in answers) == [201] + [403] * 5
    assert await count_rows("social_accounts") == 2
