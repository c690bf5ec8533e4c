"""Asking for photos to be converted: the `fit` word, `fit_media`, and what is said without it."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from core.errors import RequestProblem
from scheduler.media.cleanup import remove_orphans
from scheduler.media.fit import NeedsConversion
from scheduler.media.ingest import ingest_stream
from scheduler.reader import read_request
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from storage.views import MediaView
from tests.helpers import Team, count_rows, team
from tests.media.test_cleanup import age

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def see_through_noise(side: int) -> bytes:
    """A transparent PNG that compresses badly: over Bluesky's 2 MB at 760 px."""
    buffer = io.BytesIO()
    Image.frombytes("RGBA", (side, side), os.urandom(side * side * 4)).save(buffer, "PNG")
    return buffer.getvalue()


def half_transparent(size: int = 48) -> bytes:
    """A small PNG whose left half is fully transparent (hiding black), right half blue."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste((20, 40, 200, 255), (size // 2, 0, size, size))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def crew_with(rt: Runtime, *platforms: str) -> Team:
    crew = await team(rt)
    for platform in platforms:
        crew.accounts[platform] = await rt.workspaces.add_account(
            crew.workspace.id, platform, f"acme-{platform}", rt.cipher.encrypt("t"),
            base_url=f"http://127.0.0.1:9/{platform}",
        )  # fmt: skip
    return crew


async def stored(rt: Runtime, crew: Team, data: bytes, name: str) -> MediaView:
    return await ingest_stream(rt, crew.workspace.id, one(data), filename=name)


async def bytes_of(rt: Runtime, item: MediaView) -> bytes:
    return b"".join([chunk async for chunk in rt.media.open(item.storage_key)])


def test_the_fit_word_leads_the_request() -> None:
    asked = read_request("fit tomorrow 9am to bluesky: Office", now=NOW, tz="UTC")
    assert (asked.fit_media, asked.destinations, asked.text, asked.problems) == (
        True, ("bluesky",), "Office", (),
    )  # fmt: skip
    first = read_request("FIT to bluesky tomorrow 9am: Office", now=NOW, tz="UTC")
    assert (first.fit_media, first.destinations, first.problems) == (True, ("bluesky",), ())
    plain = read_request("tomorrow 9am to bluesky: fit this", now=NOW, tz="UTC")
    assert (plain.fit_media, plain.text) == (False, "fit this")
    word = read_request("fitness tomorrow 9am to bluesky: Gym", now=NOW, tz="UTC")
    assert not word.fit_media
    assert word.problems  # "fitness" is not a time, and not the word
    assert "fit_media" not in asked.to_json()  # `outpost parse --json` keeps its fields


async def test_too_big_photo_is_refused_naming_the_limit_and_the_ask(runtime: Runtime) -> None:
    crew = await crew_with(runtime, "bluesky")
    big = see_through_noise(760)
    assert len(big) > 2_000_000
    photo = await stored(runtime, crew, big, "office.png")
    scheduler = Scheduler(runtime)
    request = "tomorrow 9am to bluesky: Our new office"
    with pytest.raises(NeedsConversion) as refused:
        await scheduler.schedule(crew.workspace.id, request, tz="UTC", media=[photo])
    assert refused.value.problems == [
        f"acme-bluesky: a file is {len(big) // 1024} KB; limit {2_000_000 // 1024} KB"
    ]
    assert f'"fit {request}"' in refused.value.hint
    assert await count_rows("scheduled_posts") == 0
    assert await count_rows("media_library") == 1  # nothing converted without the ask

    post = await scheduler.schedule(crew.workspace.id, "fit " + request, tz="UTC", media=[photo])
    [sent] = post.media
    assert sent.id != photo.id
    data = await bytes_of(runtime, sent)
    assert (sent.size_bytes, sent.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert sent.size_bytes <= 2_000_000
    # Transparency is kept: PNG, scaled down, before any flattening to JPEG.
    assert (sent.content_type, sent.filename) == ("image/png", "office.png")
    assert sent.width is not None
    assert sent.width < 760
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"
    assert post.content == "Our new office"

    # The original has no post: the orphan cleanup takes it and leaves the converted file.
    await age(photo, 48)
    await age(sent, 48)
    removed = await remove_orphans(runtime)
    assert [m.id for m in removed] == [photo.id]
    assert not await runtime.media.exists(photo.storage_key)
    assert await runtime.media.exists(sent.storage_key)


async def test_transparency_is_flattened_onto_white_only_when_asked(runtime: Runtime) -> None:
    crew = await crew_with(runtime, "instagram")
    photo = await stored(runtime, crew, half_transparent(), "logo.png")
    scheduler = Scheduler(runtime)
    draft = await scheduler.understand(
        crew.workspace.id, "tomorrow 9am to instagram: Logo", tz="UTC", media=[photo]
    )
    assert draft.problems == ("acme-instagram: Instagram does not take image/png files",)
    assert draft.fixable == draft.problems
    assert 'send it again with "fit" in front' in draft.hint
    asked = await scheduler.understand(
        crew.workspace.id, "tomorrow 9am to instagram: Logo", tz="UTC", media=[photo],
        fit_media=True,
    )  # fmt: skip
    assert asked.problems == ()
    [flat] = asked.media
    assert flat.content_type == "image/jpeg"
    with Image.open(io.BytesIO(await bytes_of(runtime, flat))) as image:
        left, right = image.getpixel((5, 24)), image.getpixel((43, 24))
    assert isinstance(left, tuple)
    assert min(left) > 240
    assert isinstance(right, tuple)
    assert right[2] > 150 > right[0]


async def test_an_animation_is_not_offered_conversion(runtime: Runtime) -> None:
    crew = await crew_with(runtime, "instagram")
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    gif = await stored(runtime, crew, buffer.getvalue(), "loop.gif")
    scheduler = Scheduler(runtime)
    with pytest.raises(RequestProblem) as refused:
        await scheduler.schedule(
            crew.workspace.id, "tomorrow 9am to instagram: Loop", tz="UTC", media=[gif]
        )
    assert not isinstance(refused.value, NeedsConversion)
    assert "fit" not in refused.value.hint
    with pytest.raises(RequestProblem) as still:
        await scheduler.schedule(
            crew.workspace.id, "fit tomorrow 9am to instagram: Loop", tz="UTC", media=[gif]
        )
    assert "loop.gif could not be converted to fit: it is an animation" in str(still.value)
    assert await count_rows("scheduled_posts") == 0


async def test_structured_fields_take_fit_media(runtime: Runtime) -> None:
    crew = await crew_with(runtime, "instagram")
    photo = await stored(runtime, crew, half_transparent(), "logo.png")
    scheduler = Scheduler(runtime)
    when = runtime.clock.now() + timedelta(days=1)
    fields = {"text": "Logo", "when": when, "destinations": ["instagram"], "media": [photo]}
    with pytest.raises(NeedsConversion) as refused:
        await scheduler.schedule_fields(crew.workspace.id, **fields)  # type: ignore[arg-type]
    assert '"fit_media": true' in refused.value.hint
    post = await scheduler.schedule_fields(
        crew.workspace.id, fit_media=True, **fields  # type: ignore[arg-type]
    )
    assert [m.content_type for m in post.media] == ["image/jpeg"]
