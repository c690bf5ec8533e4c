"""Facebook Pages through the Graph API, and the Graph error edge Instagram and Threads share.

Graph errors carry their meaning in ``error.code``, not the HTTP status (an expired token is
often a 400), so ``graph_send`` reads the code before falling back to ``http.classify``:

    190, 102, 2500 / subcode 458-467     -> AuthRevoked (token expired, revoked, password changed)
    10, 200-299                          -> AuthRevoked (a permission is missing: reconnect)
    4, 17, 32, 613, 80001-80006, 80014   -> RateLimited (reset from X-Business-Use-Case-Usage /
                                            X-App-Usage ``estimated_time_to_regain_access``,
                                            minutes; else Retry-After; else an hour)
    9 / subcode 2207042                  -> PublishingLimit, a RateLimited: Instagram's 24-hour
                                            publishing limit (the publisher works out when a
                                            slot frees)
    12                                   -> IntegrationOutdated (a deprecated API or version)
    -1, -2 (Instagram 2207001, 2207003)  -> Unavailable: a server error or slow media download
                                            that Meta says to try again
    506                                  -> DuplicateContent
    368                                  -> ContentRejected (blocked as abusive)
    anything else                        -> by HTTP status, as ``http.classify``

The account is a Page: ``settings["page_id"]`` and the Page access token. No idempotency key
exists, so a post with the same message on the Page within ``lookback`` counts as ours. The
Graph version in every path is ``GRAPH_API_VERSION``. A photo carries the person's alt text as
``alt_text_custom`` (Graph's Photo reference); Page videos have no alt text field.

A video goes alone: ``POST /{page}/videos`` with ``file_url`` (a short-lived signed URL from
the media store; Facebook fetches it) and ``description``. That non-resumable path takes up to
1 GB and 20 minutes. The receipt is the video's post (``post_id`` on the video) and its link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import aiohttp

from core.i18n import msg
from publishers.base import Account, Media, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    DuplicateContent,
    IntegrationOutdated,
    PublishError,
    RateLimited,
    Unavailable,
)
from publishers.http import Now, Response, classify, exchange, utc_now
from publishers.limits import IMAGE_TYPES, MB, VIDEO_TYPES

GRAPH_URL = "https://graph.facebook.com"
WEB_URL = "https://www.facebook.com"
# Released 2026-02-18, served until 2028-07-29 (Graph API changelog, read 2026-12-07).
GRAPH_VERSION = "v25.0"
_AUTH_CODES = frozenset({190, 102, 2500, 10}) | frozenset(range(200, 300))
_RATE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80014})
_USAGE_HEADERS = ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage")
DEFAULT_RATE_WAIT = 3600.0
PUBLISHING_LIMIT = (9, 2207042)
# Meta documents no length for alt text; this bounds what Outpost sends.
META_ALT_LENGTH = 1000


class PublishingLimit(RateLimited):
    """Instagram's rolling 24-hour limit on API-published posts was reached."""

    code = "rate_limited"


def graph_version(settings: object) -> str:
    """``GRAPH_API_VERSION``, or the version this Outpost was written against."""
    return str(getattr(settings, "graph_api_version", None) or GRAPH_VERSION)


def regain_after(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns, from Meta's usage headers (given in minutes)."""
    for name in _USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [e for v in usage.values() if isinstance(v, list) for e in v]
        entries += [usage] if "estimated_time_to_regain_access" in usage else []
        waits = [
            float(e["estimated_time_to_regain_access"])
            for e in entries
            if isinstance(e, dict) and e.get("estimated_time_to_regain_access") is not None
        ]
        if waits:
            return max(waits) * 60.0
    return None


def graph_error(
    status: int, headers: Mapping[str, str], data: Any, text: str, *, label: str, now: datetime
) -> PublishError:
    """Classify a Graph error body; unknown codes fall back to the HTTP status."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return classify(status, headers, data, text, label=label, now=now)
    code = int(error.get("code") or 0)
    message = str(error.get("message") or "no details")[:300]
    said = f"{label} answered {status}: {message}"
    if (code, error.get("error_subcode")) == PUBLISHING_LIMIT:
        return PublishingLimit(f"{label}'s daily publishing limit was reached", DEFAULT_RATE_WAIT,
                               status)  # fmt: skip
    if code == 12:
        return IntegrationOutdated(f"Outpost needs an update for {label}: {message}", status)
    if code in (-1, -2):
        return Unavailable(f"{label} asked to try again later ({message})", status)
    if code in _RATE_CODES or status == 429:
        wait = regain_after(headers)
        if wait is None:
            retry = headers.get("Retry-After")
            wait = float(retry) if retry and retry.isdigit() else DEFAULT_RATE_WAIT
        return RateLimited(f"{label} rate limit reached", wait, status)
    if code in _AUTH_CODES:
        return AuthRevoked(f"{label} refused the account's token ({code}: {message})", status)
    if code == 506:
        return DuplicateContent(said, status)
    if code == 368:
        return ContentRejected(said, status)
    return classify(status, headers, {"error": message}, text, label=label, now=now)


def _headers(token: str, key: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        # Not a Graph header: it ties a creation to our destination in logs and fakes.
        headers["X-Outpost-Idempotency-Key"] = key
    return headers


def graph_time(value: str) -> datetime:
    """Graph's ``2024-05-01T10:00:00+0000`` timestamps, aware."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


async def graph_send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    client_timeout: aiohttp.ClientTimeout,
    label: str,
    token: str,
    form: Mapping[str, str] | None = None,
    data: Any = None,
    key: str = "",
    now: Now = utc_now,
) -> Response:
    """One Graph call, the token in the Authorization header; errors classified by code.

    Transport failures are classified as ``send()`` does; only non-2xx bodies differ.
    """
    answer = await exchange(
        http,
        method,
        url,
        client_timeout=client_timeout,
        label=label,
        headers=_headers(token, key),
        data=dict(form) if form is not None else data,
    )
    if 200 <= answer.status < 300:
        return answer
    raise graph_error(
        answer.status, answer.headers, answer.data, answer.text, label=label, now=now()
    )


async def graph_object(
    publisher: Publisher,
    account: Account,
    method: str,
    url: str,
    *,
    key: str = "",
    now: Now = utc_now,
    **kw: Any,
) -> dict[str, Any]:
    """``graph_send`` with the publisher's session, timeout and label and the account's token;
    the JSON object answered, or ``{}`` when the answer is not one."""
    resp = await graph_send(
        publisher.http,
        method,
        url,
        client_timeout=publisher.timeout,
        label=publisher.label,
        token=account.access_token,
        key=key,
        now=now,
        **kw,
    )
    return resp.data if isinstance(resp.data, dict) else {}


def _page(account: Account) -> str:
    # With a Page access token, "me" is the Page itself.
    return str(account.settings.get("page_id") or "me")


def _comment_url(post: Receipt, comment_id: str) -> str | None:
    """The post's link opened at the comment (Graph answers ``{post}_{comment}`` ids)."""
    if not post.url:
        return None
    joiner = "&" if "?" in post.url else "?"
    return f"{post.url}{joiner}comment_id={comment_id.rsplit('_', 1)[-1]}"


class FacebookPublisher(Publisher):
    """Posts to a Facebook Page's feed, with photos uploaded from the media store."""

    platform: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    max_length: ClassVar[int] = 63_206
    max_media: ClassVar[int] = 10
    media_types: ClassVar[frozenset[str]] = IMAGE_TYPES | VIDEO_TYPES | {"image/bmp", "image/tiff"}
    max_image_bytes: ClassVar[int] = 10 * MB
    # /{page}/videos by file_url is Graph's non-resumable upload: 1 GB (20 minutes).
    max_video_bytes: ClassVar[int] = 1024 * MB
    max_alt_length: ClassVar[int] = META_ALT_LENGTH
    # The first comment is the Page's comment on its post (needs pages_manage_engagement).
    comment_kind: ClassVar[str] = "comment"
    max_comment_length: ClassVar[int] = 8000
    lookback: ClassVar[timedelta] = timedelta(hours=6)
    now: Now = staticmethod(utc_now)
    version: str = GRAPH_VERSION

    def configure(self, settings: object) -> None:
        """The Graph version in every path, from ``GRAPH_API_VERSION``."""
        self.version = graph_version(settings)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks; a video is posted alone, and Facebook must be able to fetch it."""
        problems = super().validate(request)
        name = request.account.handle or self.label
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if videos and len(request.media) > 1:
            problems.append(Problem(name, msg("Facebook takes one video per post, without photos")))
        return problems

    def _root(self, account: Account) -> str:
        return f"{(account.base_url or GRAPH_URL).rstrip('/')}/{self.version}"

    async def _call(
        self, account: Account, method: str, path: str, *, key: str = "", **kw: Any
    ) -> dict[str, Any]:
        url = self._root(account) + path
        return await graph_object(self, account, method, url, key=key, now=self.now, **kw)

    async def probe(self, account: Account) -> str:
        """``GET /{page-id}?fields=id``: the Page is still reachable with its token."""
        data = await self._call(account, "GET", f"/{_page(account)}?fields=id,name")
        return f"page {data.get('name') or data.get('id') or account.handle} is reachable"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Create the Page post (feed, one photo, or several attached photos)."""
        account = request.account
        page = _page(account)
        existing = await self.find_existing(request)
        if existing:
            return existing
        key = request.idempotency_key
        if request.media and request.media[0].content_type.startswith("video/"):
            return await self._video(account, page, request.media[0], request.text, key)
        if len(request.media) == 1:
            form = await self._photo_form(request.media[0], published=True)
            form.add_field("message", request.text)
            data = await self._call(account, "POST", f"/{page}/photos", key=key, data=form)
            post_id = str(data.get("post_id") or data.get("id") or "")
        else:
            fields = {"message": request.text}
            for n, item in enumerate(request.media):
                form = await self._photo_form(item, published=False)
                photo = await self._call(account, "POST", f"/{page}/photos", data=form)
                fields[f"attached_media[{n}]"] = json.dumps({"media_fbid": photo.get("id")})
            data = await self._call(account, "POST", f"/{page}/feed", key=key, form=fields)
            post_id = str(data.get("id") or "")
        if not post_id:
            raise Ambiguous(f"{self.label} answered without a post id")
        return Receipt(remote_id=post_id, url=await self._permalink(account, post_id))

    async def _video(
        self, account: Account, page: str, media: Media, text: str, key: str
    ) -> Receipt:
        if media.signed_url is None:
            raise ContentRejected("Facebook fetches videos by URL, and this file has none")
        form = {"file_url": await media.signed_url(), "description": text, "published": "true"}
        data = await self._call(account, "POST", f"/{page}/videos", key=key, form=form)
        video_id = str(data.get("id") or "")
        if not video_id:
            raise Ambiguous(f"{self.label} answered without a video id")
        try:
            video = await self._call(account, "GET", f"/{video_id}?fields=post_id,permalink_url")
        except PublishError:
            video = {}  # the video exists; a link that cannot be fetched must not fail it
        post_id = str(video.get("post_id") or "")
        if post_id:
            return Receipt(remote_id=post_id, url=await self._permalink(account, post_id),
                           extra={"video_id": video_id})  # fmt: skip
        # Graph gives a video's permalink relative to the site.
        link = str(video.get("permalink_url") or f"/{page}/videos/{video_id}/")
        return Receipt(remote_id=f"{page}_{video_id}", url=WEB_URL + link,
                       extra={"video_id": video_id})  # fmt: skip

    async def _photo_form(self, media: Media, *, published: bool) -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field("published", "true" if published else "false")
        if media.alt:
            form.add_field("alt_text_custom", media.alt)
        form.add_field(
            "source", await media.read(), filename=media.filename, content_type=media.content_type
        )
        return form

    async def _permalink(self, account: Account, post_id: str) -> str:
        try:
            data = await self._call(account, "GET", f"/{post_id}?fields=permalink_url")
        except PublishError:
            # The post exists; a link that cannot be fetched now must not fail the publish.
            return f"https://www.facebook.com/{post_id}"
        return str(data.get("permalink_url") or f"https://www.facebook.com/{post_id}")

    async def comment(self, request: PublishRequest, post: Receipt) -> Receipt:
        """``POST /{post-id}/comments`` with ``message``: the Page comments on its post."""
        account = request.account
        data = await self._call(
            account,
            "POST",
            f"/{post.remote_id}/comments",
            key=request.idempotency_key,
            form={"message": request.text},
        )
        comment_id = str(data.get("id") or "")
        if not comment_id:
            raise Ambiguous(f"{self.label} answered without a comment id")
        return Receipt(remote_id=comment_id, url=_comment_url(post, comment_id))

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | None:
        """The Page's comment with this message on the post, or None."""
        account = request.account
        data = await self._call(
            account, "GET",
            f"/{parent.remote_id}/comments?fields=id,message,from&order=reverse_chronological",
        )  # fmt: skip
        page = _page(account)
        for item in data.get("data", []):
            author = (item.get("from") or {}).get("id")
            if author == page and str(item.get("message", "")).strip() == request.text.strip():
                comment_id = str(item["id"])
                return Receipt(remote_id=comment_id, url=_comment_url(parent, comment_id))
        return None

    async def find_existing(self, request: PublishRequest) -> Receipt | None:
        """The Page's recent post with this message, or None."""
        account = request.account
        page = _page(account)
        data = await self._call(
            account, "GET", f"/{page}/posts?fields=id,message,created_time,permalink_url&limit=10"
        )
        since = self.now() - self.lookback
        for post in data.get("data", []):
            if (
                str(post.get("message", "")).strip() == request.text.strip()
                and graph_time(str(post["created_time"])) >= since
            ):
                return Receipt(remote_id=str(post["id"]), url=post.get("permalink_url"))
        return None
