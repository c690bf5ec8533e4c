"""What the alt text tests share: a fake Bluesky PDS, an account on it, and what arrived."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from PIL import Image

from scheduler.runtime import Runtime
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon

# Bluesky's own app stops alt text at 2000; the default Mastodon description_limit is 1500.
MASTODON_LIMIT = 1500


def png(color: str = "red") -> bytes:
    """A small real PNG (the media intake reads the pixels)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


@asynccontextmanager
async def bluesky_pds() -> AsyncIterator[FakeBluesky]:
    fake = FakeBluesky()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def connect_bluesky(rt: Runtime, workspace_id: uuid.UUID, fake: FakeBluesky) -> None:
    await rt.workspaces.add_account(
        workspace_id, "bluesky", fake.handle, rt.cipher.encrypt(fake.password),
        base_url=fake.url,
    )  # fmt: skip


def mastodon_descriptions(fake: FakeMastodon) -> list[str | None]:
    """The ``description`` of each file attached to the fake's statuses, in order."""
    return [m["description"] for s in fake.statuses for m in s["media_attachments"]]


def bluesky_alts(fake: FakeBluesky) -> list[str]:
    """The ``alt`` of each image embedded in the fake's records, in order."""
    alts: list[str] = []
    for record in fake.records.values():
        embed: dict[str, Any] = record["value"].get("embed") or {}
        alts.extend(image["alt"] for image in embed.get("images", []))
    return alts
