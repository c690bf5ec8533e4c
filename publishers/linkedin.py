"""LinkedIn: the versioned Posts API for member profiles and organisation pages, with images
and a video (the Videos API, in ``linkedin_video``).

The account's ``settings["author"]`` is the URN posted as (``urn:li:person:…`` or
``urn:li:organization:…``); ``base_url`` is ``LINKEDIN_API_URL`` and ``settings["web_url"]``
the site that post links point at. Every call carries ``LinkedIn-Version`` (YYYYMM) and the
Rest.li 2.0 protocol header; the version is ``LINKEDIN_VERSION`` (LinkedIn serves each for
about a year and answers a sunset one with 426, which ``send()`` makes IntegrationOutdated).

LinkedIn has no idempotency key, and reading an author's posts back (``q=author``) needs
``r_member_social``, which LinkedIn keeps for approved partners and a self-serve app never gets.
So ``find_existing`` cannot tell: after an ambiguous answer the post is reported as "may have
been published", never resent. LinkedIn itself refuses an identical repeat ("Content is a
duplicate of urn:…", 422), which ``send()`` classifies as DuplicateContent. 403 ("Not enough
permissions") means the token lacks a scope or the member lost the page's admin role: reconnect
(AuthRevoked). Images carry the person's alt text in ``altText`` (Posts API media content).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar
from urllib.parse import quote

from core.i18n import msg
from publishers.base import Account, Media, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    PermanentError,
    PublishError,
    Unavailable,
)
from publishers.http import send
from publishers.limits import MB
from publishers.linkedin_video import upload_video

API_URL = "https://api.linkedin.com"
WEB_URL = "https://www.linkedin.com"
# March 2026; LinkedIn's migrations page lists it active until 2027-03-16 (read 2026-12-07).
API_VERSION = "202603"
# "little text": these characters are markup in commentary and must be escaped to show as typed.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def little_text(text: str) -> str:
    """``text`` escaped for LinkedIn's commentary format."""
    return _RESERVED.sub(r"\\\1", text)


def _forbidden(message: str) -> type[PublishError]:
    return AuthRevoked if "permission" in message.lower() else ContentRejected


def _media_content(urn: str, alt: str) -> dict[str, str]:
    # altText describes images; LinkedIn's videos take a title instead, which Outpost leaves out.
    if alt and urn.startswith("urn:li:image:"):
        return {"id": urn, "altText": alt}
    return {"id": urn}


class LinkedInPublisher(Publisher):
    """Creates posts through ``POST /rest/posts`` as a member or an organisation."""

    platform: ClassVar[str] = "linkedin"
    label: ClassVar[str] = "LinkedIn"
    max_length: ClassVar[int] = 3000
    max_media: ClassVar[int] = 20
    media_types: ClassVar[frozenset[str]] = frozenset(
        {"image/jpeg", "image/png", "image/gif", "video/mp4"}
    )
    max_image_bytes: ClassVar[int] = 20 * MB
    # Videos API: MP4 from 75 KB to 500 MB (length, 3 s to 30 min, is in media_limits).
    max_video_bytes: ClassVar[int] = 500 * MB
    min_video_bytes: ClassVar[int] = 75 * 1024
    # LinkedIn refuses images above 36 million pixels.
    max_pixels: ClassVar[int] = 36_152_320
    # Posts API: an image's altText takes up to 4,086 characters.
    max_alt_length: ClassVar[int] = 4086
    # Comments API: a comment's message.text takes up to 1,250 characters.
    comment_kind: ClassVar[str] = "comment"
    max_comment_length: ClassVar[int] = 1250
    media_poll_attempts: int = 120
    media_poll_interval: float = 1.0
    version: str = API_VERSION

    def configure(self, settings: object) -> None:
        """The ``LinkedIn-Version`` sent with every call, from ``LINKEDIN_VERSION``."""
        self.version = str(getattr(settings, "linkedin_version", None) or API_VERSION)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks plus LinkedIn's pixel limit and its video rules."""
        problems = super().validate(request)
        name = request.account.handle or self.label
        for item in request.media:
            if item.content_type.startswith("video/"):
                if item.size < self.min_video_bytes:
                    problems.append(Problem(name, msg("LinkedIn takes videos of 75 KB or more")))
            elif item.width and item.height and item.width * item.height > self.max_pixels:
                problems.append(Problem(name, msg("an image is larger than 36 megapixels")))
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if videos and len(request.media) > 1:
            problems.append(Problem(name, msg("LinkedIn takes one video per post, without images")))
        return problems

    def _headers(self, account: Account) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {account.access_token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    @staticmethod
    def _base(account: Account) -> str:
        return (account.base_url or API_URL).rstrip("/")

    def _post_url(self, account: Account, urn: str) -> str:
        web = str(account.settings.get("web_url") or WEB_URL).rstrip("/")
        return f"{web}/feed/update/{urn}/"

    async def probe(self, account: Account) -> str:
        """``GET /v2/userinfo`` (the token), then a versioned read (``LINKEDIN_VERSION``
        still served): the organisation posted as, else the member's own posts finder."""
        await send(
            self.http,
            "GET",
            self._base(account) + "/v2/userinfo",
            client_timeout=self.timeout,
            label=self.label,
            headers={"Authorization": f"Bearer {account.access_token}"},
        )
        author = str(account.settings.get("author") or "")
        if author.startswith("urn:li:organization:"):
            org = author.rsplit(":", 1)[1]
            await send(
                self.http,
                "GET",
                f"{self._base(account)}/rest/organizations/{org}",
                client_timeout=self.timeout,
                label=self.label,
                headers=self._headers(account),
                forbidden=_forbidden,
            )
            return f"can post as organization {org} (LinkedIn-Version {self.version})"
        return f"signed in (LinkedIn-Version {self.version})"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Upload images and videos, then create the post."""
        account = request.account
        author = await self._author(account)
        headers = self._headers(account)
        images = [await self._media(account, author, item) for item in request.media]
        alts = [item.alt for item in request.media]
        body: dict[str, Any] = {
            "author": author,
            "commentary": little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:  # one image or one video
            body["content"] = {"media": _media_content(images[0], alts[0])}
        elif images:
            items = [_media_content(i, alt) for i, alt in zip(images, alts, strict=True)]
            body["content"] = {"multiImage": {"images": items}}
        resp = await send(
            self.http,
            "POST",
            self._base(account) + "/rest/posts",
            client_timeout=self.timeout,
            label=self.label,
            headers={**headers, "X-Outpost-Idempotency-Key": request.idempotency_key},
            json_body=body,
            forbidden=_forbidden,
        )
        urn = resp.headers.get("x-restli-id") or resp.headers.get("x-linkedin-id") or ""
        if not urn:
            raise Ambiguous(f"{self.label} answered {resp.status} without a post id")
        return Receipt(remote_id=urn, url=self._post_url(account, urn))

    async def find_existing(self, request: PublishRequest) -> Receipt | bool | None:
        """Cannot tell: reading posts back needs ``r_member_social``, which apps do not get."""
        return False

    async def comment(self, request: PublishRequest, post: Receipt) -> Receipt:
        """``POST /rest/socialActions/{urn}/comments`` as the author of the post."""
        account = request.account
        actor = await self._author(account)
        body = {"actor": actor, "object": post.remote_id, "message": {"text": request.text}}
        resp = await send(
            self.http,
            "POST",
            self._comments_url(account, post.remote_id),
            client_timeout=self.timeout,
            label=self.label,
            headers={**self._headers(account),
                     "X-Outpost-Idempotency-Key": request.idempotency_key},
            json_body=body,
            forbidden=_forbidden,
        )  # fmt: skip
        data = resp.data if isinstance(resp.data, dict) else {}
        urn = str(data.get("commentUrn") or data.get("$URN") or resp.headers.get("x-restli-id")
                  or "")  # fmt: skip
        if not urn:
            raise Ambiguous(f"{self.label} answered {resp.status} without a comment id")
        return self._comment_receipt(account, post.remote_id, urn)

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | bool | None:
        """Our comment among the post's comments. Reading them needs ``r_organization_social``
        (an organisation's posts) or ``r_member_social`` (closed to new apps): without it
        LinkedIn answers 403 and Outpost cannot tell."""
        account = request.account
        try:
            actor = await self._author(account)
            resp = await send(
                self.http, "GET", self._comments_url(account, parent.remote_id),
                client_timeout=self.timeout, label=self.label, headers=self._headers(account),
                forbidden=_forbidden,
            )  # fmt: skip
        except PermanentError:
            return False
        elements = (resp.data or {}).get("elements", []) if isinstance(resp.data, dict) else []
        for item in elements:
            text = ((item.get("message") or {}).get("text") or "") if isinstance(item, dict) else ""
            if item.get("actor") == actor and text.strip() == request.text.strip():
                urn = str(item.get("commentUrn") or item.get("$URN") or item.get("id") or "")
                return self._comment_receipt(account, parent.remote_id, urn)
        return None

    def _comments_url(self, account: Account, urn: str) -> str:
        return f"{self._base(account)}/rest/socialActions/{quote(urn, safe='')}/comments"

    def _comment_receipt(self, account: Account, post_urn: str, urn: str) -> Receipt:
        link = f"{self._post_url(account, post_urn)}?commentUrn={quote(urn, safe='')}"
        return Receipt(remote_id=urn, url=link)

    async def _author(self, account: Account) -> str:
        """The URN posted as; a member account connected without one is asked who it is."""
        author = str(account.settings.get("author") or "")
        if author:
            return author
        resp = await send(
            self.http,
            "GET",
            self._base(account) + "/v2/userinfo",
            client_timeout=self.timeout,
            label=self.label,
            headers={"Authorization": f"Bearer {account.access_token}"},
        )
        sub = (resp.data or {}).get("sub")
        if not sub:
            raise AuthRevoked(f"{self.label} did not say who the account is; reconnect it")
        return f"urn:li:person:{sub}"

    async def _media(self, account: Account, author: str, media: Media) -> str:
        if not media.content_type.startswith("video/"):
            return await self._upload(account, author, media)
        return await upload_video(
            self.http, media, base=self._base(account), headers=self._headers(account),
            owner=author, client_timeout=self.timeout, forbidden=_forbidden,
            attempts=self.media_poll_attempts, interval=self.media_poll_interval,
        )  # fmt: skip

    async def _upload(self, account: Account, author: str, media: Media) -> str:
        base, headers = self._base(account), self._headers(account)
        init = await send(
            self.http,
            "POST",
            base + "/rest/images?action=initializeUpload",
            client_timeout=self.timeout,
            label=self.label,
            headers=headers,
            json_body={"initializeUploadRequest": {"owner": author}},
            forbidden=_forbidden,
        )
        value = (init.data or {}).get("value", {})
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not upload_url or not image:
            raise Unavailable(f"{self.label} did not return an image upload address")
        await send(
            self.http,
            "PUT",
            str(upload_url),
            client_timeout=self.timeout,
            label=self.label,
            headers={"Authorization": headers["Authorization"]},
            data=await media.read(),
        )
        for _ in range(self.media_poll_attempts):
            state = await send(
                self.http,
                "GET",
                f"{base}/rest/images/{quote(str(image), safe='')}",
                client_timeout=self.timeout,
                label=self.label,
                headers=headers,
            )
            status = (state.data or {}).get("status")
            if status == "AVAILABLE":
                return str(image)
            if status == "PROCESSING_FAILED":
                raise ContentRejected(f"{self.label} could not process an image")
            # The one sanctioned wait: LinkedIn processes an image before a post may use it.
            await asyncio.sleep(self.media_poll_interval)
        raise Unavailable(f"{self.label} is still processing an image; try again later")
