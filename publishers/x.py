"""X (API v2): posts with media and reply-chain threads, counted the way twitter-text counts.

X has no idempotency key. After an ambiguous outcome ``find_existing`` reads the account's
recent posts (``GET /2/users/{id}/tweets``) for the same text. A 403 that says "duplicate" is
DuplicateContent; a 403 about tokens, scopes or suspension is AuthRevoked; any other 403 is
ContentRejected. A 429 carries its reset as epoch seconds in ``x-rate-limit-reset`` (the
15-minute window); when the account or the app has used its 24-hour posting cap,
``x-user-limit-24hour-remaining`` / ``x-app-limit-24hour-remaining`` is 0 and the matching
``-reset`` header (epoch seconds) is when posting works again: that one wins, so a capped
account is not retried every window (X API "Rate limits" docs, read 2026-12-07).

Alt text goes to ``POST /2/media/metadata`` (``metadata.alt_text.text``, at most 1000
characters) before the post is created; X takes it for images and GIFs only.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict

from core.i18n import msg
from publishers.base import Account, Media, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    ContentRejected,
    DuplicateContent,
    PermanentError,
    PublishError,
    Unavailable,
)
from publishers.http import Now, Response, classify, default_forbidden, send, utc_now
from publishers.limits import MB
from publishers.x_text import (
    MAX_WEIGHTED_LENGTH,
    comparable,
    is_valid,
    split_posts,
    weighted_length,
)

DEFAULT_API = "https://api.x.com"
CHUNK = 4 * MB  # X takes append segments of up to 5 MB


DAILY_LIMITS = ("x-user-limit-24hour", "x-app-limit-24hour")


def with_reset(headers: Mapping[str, str], name: str) -> CIMultiDict[str]:
    """``headers`` with the network's reset header copied to the one ``classify`` reads.

    An exhausted 24-hour cap (its ``-remaining`` is 0) outranks the 15-minute window: of the
    exhausted caps, the latest reset is the one that matters.
    """
    out: CIMultiDict[str] = CIMultiDict(headers)
    if "Retry-After" in out:
        return out
    daily = [
        out[f"{prefix}-reset"]
        for prefix in DAILY_LIMITS
        if out.get(f"{prefix}-remaining", "").strip() == "0" and f"{prefix}-reset" in out
    ]
    resets = [float(value) for value in daily if value.strip().isdigit()]
    if resets:
        out["X-RateLimit-Reset"] = str(int(max(resets)))
    elif name in out:
        out["X-RateLimit-Reset"] = out[name]
    return out


def _forbidden(message: str) -> type[PublishError]:
    if "duplicate" in message.lower():
        return DuplicateContent
    return default_forbidden(message)


def _classify(
    status: int, headers: Mapping[str, str], data: Any, text: str, now: datetime
) -> PublishError:
    if isinstance(data, dict) and isinstance(data.get("errors"), list) and data["errors"]:
        first = data["errors"][0]
        if isinstance(first, dict) and "detail" not in data:
            data = {"detail": first.get("detail") or first.get("message")}
    return classify(
        status,
        with_reset(headers, "x-rate-limit-reset"),
        data,
        text,
        label="X",
        now=now,
        forbidden=_forbidden,
    )


class XPublisher(Publisher):
    """Posts to X with the account's OAuth 2.0 user token."""

    platform: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    max_length: ClassVar[int] = MAX_WEIGHTED_LENGTH
    max_media: ClassVar[int] = 4
    media_types: ClassVar[frozenset[str]] = frozenset(
        {"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/quicktime"}
    )
    max_image_bytes: ClassVar[int] = 5 * MB
    max_gif_bytes: ClassVar[int] = 15 * MB
    max_video_bytes: ClassVar[int] = 512 * MB
    max_video_seconds: ClassVar[float] = 140.0
    supports_threads: ClassVar[bool] = True
    comment_kind: ClassVar[str] = "reply"
    dedupes: ClassVar[bool] = False
    max_alt_length: ClassVar[int] = 1000
    # Bounds of the one allowed wait: X transcodes video and GIFs before they can be attached.
    media_poll_attempts: int = 30
    media_poll_interval: float = 5.0  # the most we wait between polls, whatever X suggests
    # find_existing only believes posts this recent (X refuses exact repeats anyway).
    lookback: timedelta = timedelta(days=2)
    now: Now = staticmethod(utc_now)

    def length(self, text: str) -> int:
        """Weighted length per twitter-text v3 (URLs 23, CJK and emoji 2)."""
        return weighted_length(text)

    def split(self, text: str, account: Account) -> list[str]:
        """Parts of at most 280 weighted characters, as twitter-text counts."""
        return split_posts(text)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """Length, invalid characters, media count, mix, type, size, video duration and shape."""
        name = request.account.handle or self.label
        text, media = request.text, request.media
        problems: list[Problem] = []
        if not text.strip() and not media:
            problems.append(Problem(name, msg("the post has no text and no media")))
        size = self.length(text)
        if size > self.max_length and not (request.thread or request.parts):
            why = msg("text is {size} characters as X counts them; X allows {limit} (or ask for "
                      "a thread)", size=size, limit=self.max_length)  # fmt: skip
            problems.append(Problem(name, why))
        elif text and size <= self.max_length and not is_valid(text):
            problems.append(Problem(name, msg("the text has characters X refuses (e.g. U+FFFE)")))
        if len(media) > self.max_media:
            problems.append(
                Problem(
                    name,
                    msg(
                        "{count} files; {network} takes {most}",
                        count=len(media),
                        network="X",
                        most=self.max_media,
                    ),
                )
            )
        moving = [
            m for m in media if m.content_type.startswith("video/") or m.content_type == "image/gif"
        ]
        if moving and len(media) > 1:
            problems.append(
                Problem(name, msg("X takes up to 4 images, or one video or GIF, not both"))
            )
        for item in media:
            if len(item.alt) > self.max_alt_length:
                why = msg(
                    "a description (alt text) is {size} characters; {network} allows {limit}",
                    size=len(item.alt),
                    network="X",
                    limit=self.max_alt_length,
                )
                problems.append(Problem(name, why))
            if item.content_type not in self.media_types:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "{network} does not take {kind} files",
                            network="X",
                            kind=item.content_type,
                        ),
                    )
                )
                continue
            limit = self._size_limit(item)
            if item.size > limit:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "a file is {size} KB; limit {limit} KB",
                            size=item.size // 1024,
                            limit=limit // 1024,
                        ),
                    )
                )
            if item.content_type.startswith("video/"):
                problems.extend(self._video_problems(name, item))
        return problems + self.step_problems(request)

    def _size_limit(self, item: Media) -> int:
        if item.content_type == "image/gif":
            return self.max_gif_bytes
        if item.content_type.startswith("video/"):
            return self.max_video_bytes
        return self.max_image_bytes

    def _video_problems(self, name: str, item: Media) -> list[Problem]:
        problems: list[Problem] = []
        if item.duration is not None and not 0.5 <= item.duration <= self.max_video_seconds:
            problems.append(
                Problem(
                    name,
                    msg("a video runs {secs} s; X takes 0.5 to 140 s", secs=f"{item.duration:.0f}"),
                )
            )
        if item.width and item.height:
            ratio = item.width / item.height
            if not 1 / 3 <= ratio <= 3:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "a video is {width}x{height}; X needs 1:3 to 3:1",
                            width=item.width,
                            height=item.height,
                        ),
                    )
                )
        return problems

    # --- HTTP ------------------------------------------------------------------------------

    def base(self, account: Account) -> str:
        """The API base: the account's, its settings' ``api_url``, else api.x.com."""
        return str(account.base_url or account.settings.get("api_url") or DEFAULT_API).rstrip("/")

    async def _call(
        self,
        account: Account,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        url = self.base(account) + path + (f"?{urlencode(query)}" if query else "")
        return await send(
            self.http,
            method,
            url,
            client_timeout=self.timeout,
            label=self.label,
            classifier=_classify,
            headers={"Authorization": f"Bearer {account.access_token}"},
            json_body=json_body,
            data=data,
            now=self.now,
        )

    async def probe(self, account: Account) -> str:
        """``GET /2/users/me``: the user token is still valid."""
        resp = await self._call(account, "GET", "/2/users/me")
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        name = data.get("username") if isinstance(data, dict) else None
        return f"signed in as @{name or account.handle}"

    # --- publishing ------------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> Receipt:
        """Upload media, then create the post (a thread's later parts come through ``reply``)."""
        account = request.account
        media_ids = [await self._upload(account, item) for item in request.media]
        body: dict[str, Any] = {"text": request.text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        return await self._create(account, body)

    async def reply(self, request: PublishRequest, parent: Receipt, root: Receipt) -> Receipt:
        """``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``: the account answers itself."""
        body = {"text": request.text, "reply": {"in_reply_to_tweet_id": parent.remote_id}}
        return await self._create(request.account, body)

    async def _create(self, account: Account, body: dict[str, Any]) -> Receipt:
        resp = await self._call(account, "POST", "/2/tweets", json_body=body)
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise Ambiguous(f"{self.label} answered {resp.status} without a post id")
        post_id = str(data["id"])
        return Receipt(remote_id=post_id, url=self.post_url(account, post_id))

    def post_url(self, account: Account, post_id: str) -> str:
        """The public link of a post."""
        user = account.handle.lstrip("@") or "i"
        return f"https://x.com/{user}/status/{post_id}"

    async def _upload(self, account: Account, media: Media) -> str:
        if media.content_type.startswith("image/") and media.content_type != "image/gif":
            form = aiohttp.FormData()
            form.add_field("media", io.BytesIO(await media.read()), filename=media.filename,
                           content_type=media.content_type)  # fmt: skip
            form.add_field("media_category", "tweet_image")
            resp = await self._call(account, "POST", "/2/media/upload", data=form)
            media_id = self._media_id(resp)
            await self._describe(account, media_id, media)
            return media_id
        category = "tweet_gif" if media.content_type == "image/gif" else "tweet_video"
        init = {"media_type": media.content_type, "total_bytes": media.size,
                "media_category": category}  # fmt: skip
        media_id = self._media_id(
            await self._call(account, "POST", "/2/media/upload/initialize", json_body=init)
        )
        data = await media.read()
        for index, start in enumerate(range(0, max(len(data), 1), CHUNK)):
            form = aiohttp.FormData()
            chunk = io.BytesIO(data[start : start + CHUNK])
            form.add_field(
                "media", chunk, filename=media.filename, content_type="application/octet-stream"
            )
            form.add_field("segment_index", str(index))
            await self._call(account, "POST", f"/2/media/upload/{media_id}/append", data=form)
        resp = await self._call(account, "POST", f"/2/media/upload/{media_id}/finalize")
        await self._await_processing(account, media_id, self._processing(resp))
        if media.content_type == "image/gif":
            await self._describe(account, media_id, media)
        return media_id

    async def _describe(self, account: Account, media_id: str, media: Media) -> None:
        """The person's alt text on an uploaded image or GIF."""
        if not media.alt:
            return
        body = {"id": media_id, "metadata": {"alt_text": {"text": media.alt}}}
        await self._call(account, "POST", "/2/media/metadata", json_body=body)

    def _media_id(self, resp: Response) -> str:
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        media_id = str(data.get("id") or "") if isinstance(data, dict) else ""
        if not media_id:
            raise Unavailable(f"{self.label} accepted a file but returned no media id")
        return media_id

    @staticmethod
    def _processing(resp: Response) -> dict[str, Any]:
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        info = data.get("processing_info") if isinstance(data, dict) else None
        return info if isinstance(info, dict) else {}

    async def _await_processing(
        self, account: Account, media_id: str, info: dict[str, Any]
    ) -> None:
        for _ in range(self.media_poll_attempts):
            state = info.get("state")
            if state in (None, "succeeded"):
                return
            if state == "failed":
                error = info.get("error")
                reason = error.get("message") if isinstance(error, dict) else None
                reason = reason or "X could not process the file"
                raise ContentRejected(f"{self.label} refused a media file: {reason}")
            # The one sanctioned wait: X asks us to come back after check_after_secs.
            wait = float(info.get("check_after_secs") or 1)
            await asyncio.sleep(min(wait, self.media_poll_interval))
            query = {"command": "STATUS", "media_id": media_id}
            resp = await self._call(account, "GET", "/2/media/upload", query=query)
            info = self._processing(resp)
        raise Unavailable(f"{self.label} is still processing a media file; try again later")

    # --- after an ambiguous outcome --------------------------------------------------------

    async def find_existing(self, request: PublishRequest) -> Receipt | bool | None:
        """Look for the post among the account's recent posts; False when X cannot tell us.

        Transient failures of the lookup itself propagate, so the caller looks again later.
        """
        return await self._find(request, None)

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | bool | None:
        """A reply with this text to ``parent`` among the account's recent posts."""
        return await self._find(request, parent.remote_id)

    async def _find(self, request: PublishRequest, parent: str | None) -> Receipt | bool | None:
        account = request.account
        wanted = comparable(request.text)
        if not wanted:
            return False  # a post without text cannot be told apart from another one
        try:
            user_id = await self._user_id(account)
            since = (self.now() - self.lookback).strftime("%Y-%m-%dT%H:%M:%SZ")
            query = {"max_results": "100", "start_time": since,
                     "tweet.fields": "created_at,conversation_id,referenced_tweets"}  # fmt: skip
            resp = await self._call(account, "GET", f"/2/users/{user_id}/tweets", query=query)
        except PermanentError:
            return False
        posts = resp.data.get("data") if isinstance(resp.data, dict) else None
        for post in posts if isinstance(posts, list) else []:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            if comparable(str(post.get("text", ""))) != wanted:
                continue
            refs = post.get("referenced_tweets") or []
            replied = {str(r.get("id")) for r in refs
                       if isinstance(r, dict) and r.get("type") == "replied_to"}  # fmt: skip
            if parent is None or parent in replied:
                post_id = str(post["id"])
                return Receipt(remote_id=post_id, url=self.post_url(account, post_id))
        return None

    async def _user_id(self, account: Account) -> str:
        known = account.settings.get("user_id")
        if known:
            return str(known)
        resp = await self._call(account, "GET", "/2/users/me")
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise Unavailable(f"{self.label} did not say which account the token belongs to")
        return str(data["id"])
