"""Threads (graph.threads.net): container, wait, ``threads_publish``; replies make a thread.

Text posts need no media; images and videos are fetched by Threads from the media store's
signed URL, each with the person's ``alt_text``. A long post with ``thread`` set is split like
Mastodon's; each later part and the first comment are replies (``reply_to_id``). No
idempotency key exists: a recent post with the same text within ``lookback`` counts as ours.
Errors are read by ``facebook.graph_error``.

Counting (Threads Posts doc, read 2026-12-07): text is limited to 500 characters and "emojis
are counted as the number of UTF-8 bytes" (most are 4). Since 2025-12-22 a post with more than
5 links fails at container creation (THREADS_API__LINK_LIMIT_EXCEEDED); every unique URL in
the text counts. Both are checked when the post is scheduled, per part when it is threaded.
"""

from __future__ import annotations

import re
from typing import ClassVar

from core.i18n import msg
from publishers.base import Account, Media, Problem, PublishRequest, Receipt
from publishers.containers import ContainerPublisher
from publishers.errors import Ambiguous, ContentRejected
from publishers.facebook import META_ALT_LENGTH
from publishers.limits import MB, VIDEO_TYPES
from publishers.text import threads_length

THREADS_URL = "https://graph.threads.net"
THREADS_VERSION = "v1.0"
MAX_LINKS = 5
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def links(text: str) -> set[str]:
    """The unique URLs in ``text``, as Threads counts them against its limit of 5."""
    return {m.group(0).rstrip(".,;:!?)").lower() for m in _LINK.finditer(text)}


class ThreadsPublisher(ContainerPublisher):
    """Publishes text, image, video and carousel posts, and reply chains, to one profile."""

    platform: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    max_length: ClassVar[int] = 500
    max_media: ClassVar[int] = 20
    media_types: ClassVar[frozenset[str]] = frozenset({"image/jpeg", "image/png"}) | VIDEO_TYPES
    max_image_bytes: ClassVar[int] = 8 * MB
    max_video_bytes: ClassVar[int] = 1024 * MB
    max_alt_length: ClassVar[int] = META_ALT_LENGTH
    supports_threads: ClassVar[bool] = True
    comment_kind: ClassVar[str] = "reply"
    container_edge: ClassVar[str] = "threads"
    version: str = THREADS_VERSION

    def configure(self, settings: object) -> None:
        """The Threads API version in every path, from ``THREADS_API_VERSION``."""
        self.version = str(getattr(settings, "threads_api_version", None) or THREADS_VERSION)

    def length(self, text: str) -> int:
        """Threads' count: emoji weigh their UTF-8 bytes."""
        return threads_length(text)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks (with Threads' counting) and at most 5 links in each post."""
        problems = super().validate(request)
        name = request.account.handle or self.label
        size = self.length(request.text)
        if size != len(request.text):
            # Say why a post that looks short is too long: the base message counts no emoji.
            plain = f"text is {size} characters; {self.label} allows {self.max_length}"
            why = msg(
                "text is {size} characters as Threads counts them (an emoji counts as its "
                "UTF-8 bytes, usually 4); Threads allows {limit}. Shorten it, or use "
                "fewer emoji",
                size=size,
                limit=self.max_length,
            )
            problems = [Problem(name, why) if p.message == plain else p for p in problems]
        for n, part in enumerate(self.thread_parts(request), 1):
            found = len(links(part))
            if found > MAX_LINKS:
                problems.append(Problem(name, (
                    msg("part {n} of the thread has {found} links; Threads takes at most "
                        "{most} per post. Remove some links.", n=n, found=found, most=MAX_LINKS)
                    if request.thread or request.parts else
                    msg("the post has {found} links; Threads takes at most {most} per post. "
                        "Remove some links.", found=found, most=MAX_LINKS)
                )))  # fmt: skip
        return problems

    def _root(self, account: Account) -> str:
        return f"{(account.base_url or THREADS_URL).rstrip('/')}/{self.version}"

    async def probe(self, account: Account) -> str:
        """``GET /me?fields=id,username``: the long-lived token still works."""
        data = await self._call(account, "GET", "/me?fields=id,username")
        return f"signed in as @{data.get('username') or account.handle}"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Publish the post (a thread's later parts come through ``reply``)."""
        existing = await self.find_existing(request)
        if existing:
            return existing
        return await self._publish(request, request.media, None)

    async def reply(self, request: PublishRequest, parent: Receipt, root: Receipt) -> Receipt:
        """A text post with ``reply_to_id`` the post before it."""
        return await self._publish(request, (), parent.remote_id)

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | None:
        """The profile's recent post with the step's text, or None."""
        return await self.find_existing(request)

    async def _publish(
        self, request: PublishRequest, media: tuple[Media, ...], reply_to: str | None
    ) -> Receipt:
        account = request.account
        user = str(account.settings.get("threads_user_id") or "me")
        form = await self._container_form(account, user, request.text, media)
        if reply_to:
            form["reply_to_id"] = reply_to
        container = await self._create(account, user, form)
        await self._wait(account, container, "status,error_message")
        form = {"creation_id": container}
        key = request.idempotency_key
        data = await self._call(account, "POST", f"/{user}/threads_publish", form, key=key)
        if not data.get("id"):
            raise Ambiguous(f"{self.label} answered without a post id")
        post_id = str(data["id"])
        return Receipt(remote_id=post_id, url=await self._permalink(account, post_id))

    async def _container_form(
        self, account: Account, user: str, text: str, media: tuple[Media, ...]
    ) -> dict[str, str]:
        if not media:
            return {"media_type": "TEXT", "text": text}
        if len(media) == 1:
            return {**await self._media_fields(media[0]), "text": text}
        children = []
        for item in media:
            fields = {**await self._media_fields(item), "is_carousel_item": "true"}
            children.append(await self._create(account, user, fields))
        for child in children:
            await self._wait(account, child, "status,error_message")
        return {"media_type": "CAROUSEL", "children": ",".join(children), "text": text}

    async def _media_fields(self, media: Media) -> dict[str, str]:
        if media.signed_url is None:
            raise ContentRejected("Threads fetches files by URL, and this file has none")
        url = await media.signed_url()
        alt = {"alt_text": media.alt} if media.alt else {}
        if media.content_type.startswith("video/"):
            return {"media_type": "VIDEO", "video_url": url, **alt}
        return {"media_type": "IMAGE", "image_url": url, **alt}

    async def find_existing(self, request: PublishRequest) -> Receipt | None:
        """The profile's recent post starting this thread, or None."""
        user = str(request.account.settings.get("threads_user_id") or "me")
        path = f"/{user}/threads?fields=id,text,timestamp,permalink&limit=10"
        return await self._recent(request.account, path, "text", request.text)
