"""Instagram business accounts through the Graph API: container, wait, publish, media by URL.

Instagram fetches every file itself from a public URL (the media store's signed URL), so a post
needs media and a store that can sign URLs. Flow: one container per file (``is_carousel_item``
for albums), the album container, wait until each reports ``FINISHED``, then ``media_publish``.
A video alone is a reel (``media_type=REELS``); inside a carousel it is ``media_type=VIDEO``,
since reels cannot be carousel items (IG User Media reference). Images carry the person's
``alt_text`` (images only: reels and stories take none).

Only ``media_publish`` creates a post; no idempotency key exists, so a recent post with the
same caption within ``lookback`` counts as ours. Errors are read by ``facebook.graph_error``;
the rolling 24-hour publishing limit (code 9, subcode 2207042) is a RateLimited whose wait runs
until the oldest post in the window leaves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from core.i18n import msg
from publishers.base import Account, Media, Problem, PublishRequest, Receipt
from publishers.containers import ContainerPublisher
from publishers.errors import Ambiguous, AuthRevoked, ContentRejected, PublishError
from publishers.facebook import (
    GRAPH_URL,
    GRAPH_VERSION,
    META_ALT_LENGTH,
    PublishingLimit,
    graph_version,
)
from publishers.limits import MB, VIDEO_TYPES

# Feed images must lie between 4:5 (portrait) and 1.91:1 (landscape).
MIN_RATIO, MAX_RATIO = 4 / 5, 1.91
MAX_HASHTAGS, MAX_MENTIONS = 30, 20


class InstagramPublisher(ContainerPublisher):
    """Publishes images, reels and carousels to one Instagram business account."""

    platform: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    max_length: ClassVar[int] = 2200
    max_media: ClassVar[int] = 10
    media_types: ClassVar[frozenset[str]] = frozenset({"image/jpeg"}) | VIDEO_TYPES
    max_image_bytes: ClassVar[int] = 8 * MB
    max_video_bytes: ClassVar[int] = 300 * MB
    max_alt_length: ClassVar[int] = META_ALT_LENGTH
    # The first comment is the account's comment on its media (instagram_manage_comments);
    # a comment is as long as a caption.
    comment_kind: ClassVar[str] = "comment"
    max_comment_length: ClassVar[int] = 2200
    container_edge: ClassVar[str] = "media"
    version: str = GRAPH_VERSION

    def configure(self, settings: object) -> None:
        """The Graph version in every path, from ``GRAPH_API_VERSION``."""
        self.version = graph_version(settings)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """Base checks, plus: media required, aspect ratio, hashtag and mention counts."""
        problems = super().validate(request)
        name = request.account.handle or self.label
        if not request.media:
            problems.append(Problem(name, msg("Instagram posts need at least one photo or video")))
        for item in request.media:
            if item.content_type.startswith("image/") and item.width and item.height:
                ratio = item.width / item.height
                if not MIN_RATIO - 0.005 <= ratio <= MAX_RATIO + 0.005:
                    problems.append(
                        Problem(name, msg("an image is {width}x{height}; Instagram takes aspect "
                                          "ratios from 4:5 to 1.91:1", width=item.width,
                                          height=item.height))
                    )  # fmt: skip
        if request.text.count("#") > MAX_HASHTAGS:
            problems.append(Problem(name, msg("more than {most} hashtags", most=MAX_HASHTAGS)))
        if request.text.count("@") > MAX_MENTIONS:
            problems.append(Problem(name, msg("more than {most} @mentions", most=MAX_MENTIONS)))
        return problems

    def _root(self, account: Account) -> str:
        return f"{(account.base_url or GRAPH_URL).rstrip('/')}/{self.version}"

    async def probe(self, account: Account) -> str:
        """``GET /{ig-user-id}?fields=id,username``: the professional account is reachable."""
        user = str(account.settings.get("ig_user_id") or "me")
        data = await self._call(account, "GET", f"/{user}?fields=id,username")
        return f"signed in as @{data.get('username') or account.handle}"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Create containers, wait for them, publish, and fetch the permalink."""
        account = request.account
        user = str(account.settings.get("ig_user_id") or "")
        if not user:
            raise AuthRevoked("the Instagram account id is missing; reconnect it")
        if not request.media:
            raise ContentRejected("Instagram posts need at least one photo or video")
        existing = await self.find_existing(request)
        if existing:
            return existing
        if len(request.media) == 1:
            fields = await self._media_fields(request.media[0], carousel=False)
            container = await self._create(account, user, {**fields, "caption": request.text})
        else:
            children = []
            for item in request.media:
                fields = {**await self._media_fields(item, carousel=True),
                          "is_carousel_item": "true"}  # fmt: skip
                children.append(await self._create(account, user, fields))
            for child in children:
                await self._wait(account, child, "status_code")
            form = {"media_type": "CAROUSEL", "children": ",".join(children)}
            container = await self._create(account, user, {**form, "caption": request.text})
        await self._wait(account, container, "status_code")
        try:
            data = await self._call(
                account,
                "POST",
                f"/{user}/media_publish",
                {"creation_id": container},
                key=request.idempotency_key,
            )
        except PublishingLimit as exc:
            wait = await self._until_slot_frees(account, user)
            raise PublishingLimit(
                f"{exc.message}; Outpost will publish when a slot frees",
                wait or exc.retry_after,
                exc.status,
            ) from None
        media_id = str(data.get("id") or "")
        if not media_id:
            raise Ambiguous(f"{self.label} answered without a media id")
        return Receipt(remote_id=media_id, url=await self._permalink(account, media_id))

    async def _media_fields(self, media: Media, *, carousel: bool) -> dict[str, str]:
        if media.signed_url is None:
            raise ContentRejected("Instagram fetches files by URL, and this file has none")
        url = await media.signed_url()
        if media.content_type.startswith("video/"):
            return {"media_type": "VIDEO" if carousel else "REELS", "video_url": url}
        return {"image_url": url, "alt_text": media.alt} if media.alt else {"image_url": url}

    async def _until_slot_frees(self, account: Account, user: str) -> float | None:
        """Seconds until the oldest post of the limit's window leaves it, when that can be read."""
        try:
            limit = await self._call(
                account, "GET", f"/{user}/content_publishing_limit?fields=quota_usage,config"
            )
            entry = (limit.get("data") or [{}])[0]
            config = entry.get("config") or {}
            window = float(config.get("quota_duration") or 86400)
            count = int(config.get("quota_total") or 100)
            recent = await self._call(
                account, "GET", f"/{user}/media?fields=id,timestamp&limit={count}"
            )
        except (PublishError, ValueError, TypeError, AttributeError):
            return None
        now = self.now()
        stamps = [datetime.fromisoformat(str(p["timestamp"]).replace("Z", "+00:00"))
                  for p in recent.get("data", []) if p.get("timestamp")]  # fmt: skip
        inside = [s for s in stamps if s > now - timedelta(seconds=window)]
        if not inside:
            return None
        return max(0.0, (min(inside) + timedelta(seconds=window) - now).total_seconds())

    async def find_existing(self, request: PublishRequest) -> Receipt | None:
        """The account's recent post with this caption, or None."""
        user = str(request.account.settings.get("ig_user_id") or "")
        path = f"/{user}/media?fields=id,caption,timestamp,permalink&limit=10"
        return await self._recent(request.account, path, "caption", request.text)

    async def comment(self, request: PublishRequest, post: Receipt) -> Receipt:
        """``POST /{ig-media-id}/comments`` with ``message``."""
        data = await self._call(
            request.account,
            "POST",
            f"/{post.remote_id}/comments",
            {"message": request.text},
            key=request.idempotency_key,
        )
        comment_id = str(data.get("id") or "")
        if not comment_id:
            raise Ambiguous(f"{self.label} answered without a comment id")
        return Receipt(remote_id=comment_id, url=post.url)

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | None:
        """The account's comment with this text on the media, or None."""
        data = await self._call(
            request.account, "GET", f"/{parent.remote_id}/comments?fields=id,text,username"
        )
        handle = request.account.handle.lstrip("@")
        for item in data.get("data", []):
            mine = not item.get("username") or item.get("username") == handle
            if mine and str(item.get("text", "")).strip() == request.text.strip():
                return Receipt(remote_id=str(item["id"]), url=parent.url)
        return None
