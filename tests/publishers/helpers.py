"""Building blocks for publisher tests: in-memory media and requests."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace

from core.states import StepKind
from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from scheduler.publishing.steps import plan

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 256
# Large enough for LinkedIn (75 KB at least) and for three 4 MB upload parts.
BIG_MP4 = MP4 + bytes(range(256)) * (9 * 4096)


def memory_media(
    data: bytes, content_type: str, name: str = "file", url: str | None = None, chunk: int = 64
) -> Media:
    """A Media whose bytes come from memory in ``chunk``-sized pieces, with an optional URL."""

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk):
            yield data[start : start + chunk]

    signed: Callable[[], Awaitable[str]] | None = None
    if url is not None:
        fixed = url

        async def signed_url() -> str:
            return fixed

        signed = signed_url
    return Media(
        media_id=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=name,
        open=chunks,
        signed_url=signed,
    )


def request_for(
    account: Account,
    text: str = "Hello from Outpost",
    key: str = "post-1:dest-1:r1",
    media: tuple[Media, ...] = (),
    thread: bool = False,
) -> PublishRequest:
    """A publish request for ``account``."""
    return PublishRequest(
        destination_id="dest-1",
        idempotency_key=key,
        text=text,
        account=account,
        media=media,
        thread=thread,
        post_id="post-1",
    )


async def publish_thread(
    publisher: Publisher, request: PublishRequest, sent: Sequence[Receipt] = ()
) -> list[Receipt]:
    """A thread's posts as the worker sends them (``scheduler.publishing.steps``: the same
    plan, texts and step keys), without the database: the root through ``publish``, each
    later part through ``reply`` to the one before. ``sent`` are parts already out."""
    steps, texts = plan(publisher, request)
    receipts = list(sent)
    for step, text in zip(steps, texts, strict=True):
        if step.kind == StepKind.COMMENT or step.seq <= len(receipts):
            continue
        if step.seq == 1:
            receipts.append(await publisher.publish(replace(request, text=text)))
            continue
        one = replace(request, text=text, idempotency_key=step.key, media=(), parts=(),
                      first_comment="", thread=False)  # fmt: skip
        receipts.append(await publisher.reply(one, receipts[-1], receipts[0]))
    return receipts
