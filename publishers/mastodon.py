"""Mastodon: statuses with media and reply-chain threads, deduplicated by Idempotency-Key.

403 bodies: "outside the authorized scopes" or a disabled/suspended login mean the token must
be replaced (AuthRevoked); any other 403 (e.g. replying to a hidden status) is ContentRejected.

Media (docs.joinmastodon.org "media" methods, read 2026-12-07): ``POST /api/v2/media`` answers
200 with a URL, or 202 while the file is processed, and ``GET /api/v1/media/:id`` answers 206
until it is done. A file still processing after the polls is Unavailable, and its media id is
kept (per destination key and file) so the retry polls it again instead of uploading the whole
file once more; the ids live in this worker's memory for ``media_reuse_seconds``, so a retry
that lands on another worker uploads once more (slower, never wrong). Alt text is the upload's
``description`` (1500 characters on a stock instance). 429s carry ``X-RateLimit-Reset`` as an
ISO-8601 time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import aiohttp

from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from publishers.errors import Ambiguous, ContentRejected, Unavailable
from publishers.http import Response, send
from publishers.limits import MB, WEB_MEDIA
from publishers.text import mastodon_length, split_thread

__all__ = ["MastodonPublisher", "mastodon_length", "split_thread"]


def _ready(answer: Response | None) -> bool:
    """A media answer for a file that is processed: 200 with its URL."""
    data = answer.data if answer is not None else None
    return bool(
        answer is not None and answer.status == 200 and isinstance(data, dict) and data.get("url")
    )


class MastodonPublisher(Publisher):
    """Posts statuses to one Mastodon instance (the account's ``base_url``)."""

    platform: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    max_length: ClassVar[int] = 500
    max_media: ClassVar[int] = 4
    media_types: ClassVar[frozenset[str]] = WEB_MEDIA
    max_image_bytes: ClassVar[int] = 16 * MB
    max_video_bytes: ClassVar[int] = 99 * MB
    # Instance configuration.media_attachments.description_limit; 1500 by default.
    max_alt_length: ClassVar[int] = 1500
    supports_threads: ClassVar[bool] = True
    comment_kind: ClassVar[str] = "reply"
    dedupes: ClassVar[bool] = True
    # Bounds of the one allowed wait: asynchronous media processing (video, gifv).
    media_poll_attempts: int = 20
    media_poll_interval: float = 1.0
    # How long an uploaded, still-processing file is reused by a retry (Mastodon removes
    # unattached media after a day).
    media_reuse_seconds: float = 6 * 3600.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (instance, destination key, position, sha256) -> (media id, when uploaded)
        self._uploaded: dict[tuple[str, str, int, str], tuple[str, float]] = {}

    def length(self, text: str) -> int:
        """Mastodon's count: URLs as 23 characters, ``@user@domain`` as ``@user``."""
        return mastodon_length(text)

    def text_limit(self, account: Account) -> int:
        """The instance's limit when known (``settings["max_characters"]``), else 500."""
        return int(account.settings.get("max_characters") or self.max_length)

    async def instance_limits(self, base_url: str) -> dict[str, Any]:
        """The instance's configured limits from ``GET /api/v2/instance``."""
        resp = await send(
            self.http,
            "GET",
            base_url.rstrip("/") + "/api/v2/instance",
            client_timeout=self.timeout,
            label=self.label,
        )
        config = (resp.data or {}).get("configuration", {})
        statuses = config.get("statuses", {})
        media = config.get("media_attachments", {})
        limits = {
            "max_characters": statuses.get("max_characters"),
            "max_media_attachments": statuses.get("max_media_attachments"),
            "characters_reserved_per_url": statuses.get("characters_reserved_per_url"),
            "supported_mime_types": media.get("supported_mime_types"),
            "image_size_limit": media.get("image_size_limit"),
            "video_size_limit": media.get("video_size_limit"),
        }
        return {key: value for key, value in limits.items() if value is not None}

    async def probe(self, account: Account) -> str:
        """``GET /api/v1/accounts/verify_credentials``: the token still speaks for the account."""
        resp = await send(
            self.http,
            "GET",
            account.base_url.rstrip("/") + "/api/v1/accounts/verify_credentials",
            client_timeout=self.timeout,
            label=self.label,
            headers={"Authorization": f"Bearer {account.access_token}"},
        )
        return f"signed in as @{(resp.data or {}).get('acct', account.handle)}"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Upload media, then post the status under our Idempotency-Key."""
        account = request.account
        base = account.base_url.rstrip("/")
        auth = {"Authorization": f"Bearer {account.access_token}"}
        media_ids = [
            await self._media(base, auth, (base, request.idempotency_key, n, item.sha256), item)
            for n, item in enumerate(request.media)
        ]
        receipt = await self._status(request, media_ids, None)
        for n, item in enumerate(request.media):
            self._uploaded.pop((base, request.idempotency_key, n, item.sha256), None)
        return receipt

    async def reply(self, request: PublishRequest, parent: Receipt, root: Receipt) -> Receipt:
        """A status ``in_reply_to_id`` the one before, under the step's own Idempotency-Key,
        so a resend after an ambiguous answer gets the status already made."""
        return await self._status(request, [], parent.remote_id)

    async def _status(
        self, request: PublishRequest, media_ids: list[str], in_reply_to: str | None
    ) -> Receipt:
        account = request.account
        body: dict[str, Any] = {"visibility": str(account.settings.get("visibility", "public"))}
        if request.text.strip():
            body["status"] = request.text
        if media_ids:
            body["media_ids"] = media_ids
        if in_reply_to:
            body["in_reply_to_id"] = in_reply_to
        if account.settings.get("language"):
            body["language"] = str(account.settings["language"])
        resp = await send(
            self.http,
            "POST",
            account.base_url.rstrip("/") + "/api/v1/statuses",
            client_timeout=self.timeout,
            label=self.label,
            headers={
                "Authorization": f"Bearer {account.access_token}",
                "Idempotency-Key": request.idempotency_key,
            },
            json_body=body,
        )
        data = resp.data if isinstance(resp.data, dict) else {}
        if not data.get("id"):
            raise Ambiguous(f"{self.label} answered {resp.status} without a status id")
        return Receipt(remote_id=str(data["id"]), url=data.get("url") or data.get("uri"))

    async def _media(
        self, base: str, auth: dict[str, str], key: tuple[str, str, int, str], media: Media
    ) -> str:
        """The media id of ``media``: an earlier upload still processing, or a new one."""
        now = time.monotonic()
        for stale in [k for k, (_, at) in self._uploaded.items()
                      if now - at > self.media_reuse_seconds]:  # fmt: skip
            del self._uploaded[stale]
        known = self._uploaded.get(key)
        if known is not None:
            poll = await self._poll(base, auth, known[0])
            if poll is not None:  # None: the instance no longer has it
                return await self._until_ready(base, auth, known[0], poll)
            del self._uploaded[key]
        media_id, resp = await self._upload(base, auth, media)
        if _ready(resp):
            return media_id
        self._uploaded[key] = (media_id, time.monotonic())
        return await self._until_ready(base, auth, media_id, None)

    async def _poll(self, base: str, auth: dict[str, str], media_id: str) -> Response | None:
        """``GET /api/v1/media/:id``; None when the instance answers 404."""
        try:
            return await send(
                self.http,
                "GET",
                f"{base}/api/v1/media/{media_id}",
                client_timeout=self.timeout,
                label=self.label,
                headers=auth,
            )
        except ContentRejected as exc:
            if exc.status == 404:
                return None
            raise

    async def _until_ready(
        self, base: str, auth: dict[str, str], media_id: str, poll: Response | None
    ) -> str:
        for _ in range(self.media_poll_attempts):
            if _ready(poll):
                return media_id
            # The one sanctioned wait: the instance transcodes video before it can be attached.
            await asyncio.sleep(self.media_poll_interval)
            poll = await self._poll(base, auth, media_id)
            if poll is None:
                raise Unavailable(f"{self.label} lost a media file while processing it")
        if _ready(poll):
            return media_id
        raise Unavailable(
            f"{self.label} is still processing a media file; Outpost will try again "
            "without uploading it again"
        )

    async def _upload(self, base: str, auth: dict[str, str], media: Media) -> tuple[str, Response]:
        form = aiohttp.FormData()
        form.add_field(
            "file", await media.read(), filename=media.filename, content_type=media.content_type
        )
        if media.alt:
            form.add_field("description", media.alt)
        resp = await send(
            self.http,
            "POST",
            base + "/api/v2/media",
            client_timeout=self.timeout,
            label=self.label,
            headers=auth,
            data=form,
        )
        data = resp.data if isinstance(resp.data, dict) else {}
        media_id = str(data.get("id") or "")
        if not media_id:
            raise Unavailable(f"{self.label} accepted a file but returned no media id")
        return media_id, resp
