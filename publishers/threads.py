"""Threads (graph.threads.net): container, wait, ``threads_publish``; replies make a thread.

Text posts need no media; images and videos are fetched by Threads from the media store's
signed URL. A long post with ``thread`` set is split like Mastodon's and published as a reply
chain (``reply_to_id``). No idempotency key exists: a recent post with the same first part
within ``lookback`` counts as ours. Errors are read by ``facebook.graph_error``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, ClassVar

from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from publishers.errors import Ambiguous, ContentRejected, PublishError, Unavailable
from publishers.facebook import graph_send
from publishers.http import Now, utc_now
from publishers.mastodon import split_thread

THREADS_URL = "https://graph.threads.net"
THREADS_VERSION = "v1.0"


class ThreadsPublisher(Publisher):
    """Publishes text, image, video and carousel posts, and reply chains, to one profile."""

    platform: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    max_length: ClassVar[int] = 500
    max_media: ClassVar[int] = 20
    media_types: ClassVar[frozenset[str]] = frozenset(
        {"image/jpeg", "image/png", "video/mp4", "video/quicktime"}
    )
    max_image_bytes: ClassVar[int] = 8 * 1024 * 1024
    max_video_bytes: ClassVar[int] = 1024 * 1024 * 1024
    supports_threads: ClassVar[bool] = True
    lookback: ClassVar[timedelta] = timedelta(hours=6)
    container_poll_attempts: int = 30
    container_poll_interval: float = 2.0
    now: Now = staticmethod(utc_now)

    def _root(self, account: Account) -> str:
        return f"{(account.base_url or THREADS_URL).rstrip('/')}/{THREADS_VERSION}"

    async def _call(
        self,
        account: Account,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        key: str = "",
    ) -> dict[str, Any]:
        resp = await graph_send(
            self.http,
            method,
            self._root(account) + path,
            client_timeout=self.timeout,
            label=self.label,
            token=account.access_token,
            form=form,
            key=key,
            now=self.now,
        )
        return resp.data if isinstance(resp.data, dict) else {}

    def _parts(self, request: PublishRequest) -> list[str]:
        if request.thread:
            return split_thread(request.text, self.max_length, self.length)
        return [request.text]

    async def publish(self, request: PublishRequest) -> Receipt:
        """Publish the post (and its replies when threading); returns the first part."""
        account = request.account
        user = str(account.settings.get("threads_user_id") or "me")
        existing = await self.find_existing(request)
        if existing:
            return existing
        ids: list[str] = []
        for n, part in enumerate(self._parts(request), 1):
            media = request.media if n == 1 else ()
            form = await self._container_form(account, user, part, media)
            if ids:
                form["reply_to_id"] = ids[-1]
            container = await self._create(account, user, form)
            await self._wait(account, container)
            key = request.idempotency_key if n == 1 else f"{request.idempotency_key}:{n}"
            data = await self._call(
                account, "POST", f"/{user}/threads_publish", {"creation_id": container}, key=key
            )
            if not data.get("id"):
                raise Ambiguous(f"{self.label} answered without a post id")
            ids.append(str(data["id"]))
        url = await self._permalink(account, ids[0])
        extra = {"thread_ids": ids} if len(ids) > 1 else {}
        return Receipt(remote_id=ids[0], url=url, extra=extra)

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
            await self._wait(account, child)
        return {"media_type": "CAROUSEL", "children": ",".join(children), "text": text}

    async def _media_fields(self, media: Media) -> dict[str, str]:
        if media.signed_url is None:
            raise ContentRejected("Threads fetches files by URL, and this file has none")
        url = await media.signed_url()
        if media.content_type.startswith("video/"):
            return {"media_type": "VIDEO", "video_url": url}
        return {"media_type": "IMAGE", "image_url": url}

    async def _create(self, account: Account, user: str, form: dict[str, str]) -> str:
        data = await self._call(account, "POST", f"/{user}/threads", form)
        if not data.get("id"):
            raise Unavailable(f"{self.label} did not return a container id")
        return str(data["id"])

    async def _wait(self, account: Account, container: str) -> None:
        for _ in range(self.container_poll_attempts):
            data = await self._call(account, "GET", f"/{container}?fields=status,error_message")
            status = data.get("status") or data.get("status_code")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise ContentRejected(f"{self.label} could not process a file ({status})")
            # The one sanctioned wait: Threads fetches and processes media before publishing.
            await asyncio.sleep(self.container_poll_interval)
        raise Unavailable(f"{self.label} is still processing the media; try again later")

    async def _permalink(self, account: Account, post_id: str) -> str | None:
        try:
            data = await self._call(account, "GET", f"/{post_id}?fields=permalink")
        except PublishError:
            return None  # published already; a missing link must not fail it
        link = data.get("permalink")
        return str(link) if link else None

    async def find_existing(self, request: PublishRequest) -> Receipt | None:
        """The profile's recent post starting this thread, or None."""
        account = request.account
        user = str(account.settings.get("threads_user_id") or "me")
        data = await self._call(
            account, "GET", f"/{user}/threads?fields=id,text,timestamp,permalink&limit=10"
        )
        since = self.now() - self.lookback
        first = self._parts(request)[0].strip()
        for post in data.get("data", []):
            stamp = datetime.fromisoformat(str(post.get("timestamp", "")).replace("Z", "+00:00"))
            if str(post.get("text", "")).strip() == first and stamp >= since:
                return Receipt(remote_id=str(post["id"]), url=post.get("permalink"))
        return None
