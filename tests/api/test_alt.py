"""Alt text through the REST API: ``media`` items as ``{"id", "alt"}`` (or plain ids), shown in
the post's JSON, kept on edits and recurring posts' next occurrences, refused when too long for
a destination, and sent by a real worker in each network's own field."""

from __future__ import annotations

import aiohttp

from scheduler.runtime import Runtime
from tests.alt.support import (
    MASTODON_LIMIT,
    bluesky_alts,
    bluesky_pds,
    connect_bluesky,
    mastodon_descriptions,
    png,
)
from tests.api.conftest import Api, start_api
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import count_rows
from tests.media.test_fit_ask import crew_with
from tests.support import wait_for

CHART = "A bar chart: sales doubled from May to June"


async def upload(api: Api, color: str) -> str:
    form = aiohttp.FormData()
    form.add_field("file", png(color), filename=f"{color}.png", content_type="image/png")
    status, media, _ = await api.call("POST", "/api/v1/media", data=form)
    assert status == 201, media
    assert media["alt"] == ""  # a description belongs to a post's file, not to the upload
    return str(media["id"])


async def test_alt_per_item_reaches_mastodon_description_and_bluesky_alt(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    first, second = await upload(api, "red"), await upload(api, "blue")
    async with bluesky_pds() as bluesky:
        await connect_bluesky(api.rt, api.crew.workspace.id, bluesky)
        status, post, _ = await api.call(
            "POST",
            "/api/v1/posts",
            json={
                "text": "June in one picture",
                "when": _soon(api),
                "destinations": ["mastodon", "bluesky"],
                "media": [{"id": first, "alt": f"  {CHART} "}, second],
            },
        )
        assert status == 201, post
        assert [(m["id"], m["alt"]) for m in post["media"]] == [(first, CHART), (second, "")]

        async def published() -> bool:
            _, seen, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
            return bool(seen["status"] == "published")

        await wait_for(published, timeout=30)
        assert mastodon_descriptions(mastodon) == [CHART, None]
        assert bluesky_alts(bluesky) == [CHART, ""]
    _, seen, _ = await api.call("GET", f"/api/v1/posts/{post['id']}")
    assert [m["alt"] for m in seen["media"]] == [CHART, ""]


def _soon(api: Api) -> str:
    return api.rt.clock.now().isoformat()


async def test_too_long_alt_is_refused_naming_the_limit_and_nothing_is_stored(api: Api) -> None:
    media = await upload(api, "red")
    long_alt = "x" * (MASTODON_LIMIT + 1)
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={
            "text": "hi",
            "when": _soon(api),
            "destinations": ["mastodon"],
            "media": [{"id": media, "alt": long_alt}],
        },
    )
    assert status == 422, answer
    assert (
        f"a description (alt text) is {MASTODON_LIMIT + 1} characters; Mastodon allows "
        f"{MASTODON_LIMIT}" in answer["error"]["message"]
    )
    # The request grammar's alt lines are checked the same way.
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"request": f"tomorrow 9am to mastodon: hi\nalt: {long_alt}", "media": [media]},
    )
    assert status == 422, answer
    assert f"Mastodon allows {MASTODON_LIMIT}" in answer["error"]["message"]
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("post_media") == 0


async def test_more_alt_lines_than_files_is_refused(api: Api) -> None:
    media = await upload(api, "red")
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={
            "request": "tomorrow 9am to mastodon: hi\nalt: A red square\nalt: A blue square",
            "media": [media],
        },
    )
    assert status == 422, answer
    problems = " ".join(answer["error"].get("problems") or [answer["error"]["message"]])
    assert "description (alt line) for file 2, but 1 file is attached" in problems
    assert await count_rows("scheduled_posts") == 0


async def test_alt_survives_an_edit_and_the_next_occurrence(
    api: Api, api_worker: object, mastodon: FakeMastodon
) -> None:
    media = await upload(api, "red")
    status, post, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"request": f"every day at 9:00 to mastodon: Daily chart\nalt: {CHART}",
              "media": [media]},
    )  # fmt: skip
    assert status == 201, post
    assert post["text"] == "Daily chart"
    assert [m["alt"] for m in post["media"]] == [CHART]
    status, edited, _ = await api.call(
        "PATCH", f"/api/v1/posts/{post['id']}", json={"text": "Daily chart, updated"}
    )
    assert status == 200, edited
    assert [m["alt"] for m in edited["media"]] == [CHART]
    status, moved, _ = await api.call(
        "POST", f"/api/v1/posts/{post['id']}/reschedule", json={"when": _soon(api)}
    )
    assert status == 200, moved

    async def next_occurrence() -> bool:
        _, listed, _ = await api.call("GET", "/api/v1/posts")
        return len(listed["items"]) == 2

    await wait_for(next_occurrence, timeout=30)
    assert mastodon_descriptions(mastodon) == [CHART]
    _, listed, _ = await api.call("GET", "/api/v1/posts?status=scheduled")
    [following] = listed["items"]
    assert following["text"] == "Daily chart, updated"
    assert [(m["id"], m["alt"]) for m in following["media"]] == [(media, CHART)]


async def test_openapi_document_shows_alt(api: Api) -> None:
    status, doc, _ = await api.call("GET", "/api/v1/openapi.json")
    assert status == 200
    schemas = doc["components"]["schemas"]
    assert schemas["Media"]["properties"]["alt"]["type"] == "string"
    for form in ("RequestPost", "FieldsPost"):
        plain, described = schemas[form]["properties"]["media"]["items"]["oneOf"]
        assert plain["format"] == "uuid"
        assert described["required"] == ["id"]
        assert described["properties"]["alt"]["maxLength"] == 10_000
    assert "`alt: …`" in schemas["RequestPost"]["properties"]["request"]["description"]
    # The schema the server validates with is the one documented: an unknown key is refused.
    status, answer, _ = await api.call(
        "POST",
        "/api/v1/posts",
        json={"request": "tomorrow 9am to mastodon: hi",
              "media": [{"id": "0b6c3c1e-7f1b-4a53-9a57-0e7d3b1d2c11", "alt_text": "x"}]},
    )  # fmt: skip
    assert status == 422, answer


async def test_a_converted_photo_keeps_its_description(runtime: Runtime) -> None:
    crew = await crew_with(runtime, "instagram")  # Instagram takes JPEG only: PNG is converted
    server, http, token = await start_api(runtime, crew)
    api = Api(str(server.make_url("")).rstrip("/"), http, crew, token, runtime)
    try:
        original = await upload(api, "red")
        status, post, _ = await api.call(
            "POST",
            "/api/v1/posts",
            json={"request": f"tomorrow 9am to instagram: Red\nalt: {CHART}",
                  "media": [original]},
        )  # fmt: skip
        assert status == 201, post
        [sent] = post["media"]
        assert (sent["content_type"], sent["alt"]) == ("image/jpeg", CHART)
        assert sent["id"] != original
    finally:
        await http.close()
        await server.close()
