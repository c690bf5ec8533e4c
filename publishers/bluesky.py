"""Bluesky (AT Protocol): posts with images, facets and reply-chain threads on the account's PDS.

Sessions: the account's ``access_token`` is an app password, exchanged for a session
(``createSession``) that is kept in memory per PDS and identifier and never logged. An expired
or refused access JWT is refreshed once (``refreshSession``); if the refresh is refused too, one
new session is made from the app password, and only when that is refused is the account
AuthRevoked.

Video: one mp4 per post, sent through Bluesky's video service (``bluesky_video``), whose base
URL is the ``BLUESKY_VIDEO_URL`` setting.

Idempotency: each record is written with ``putRecord`` under a record key derived from the
destination's idempotency key and ``swapRecord: null`` ("create only"). A resend writes the same
key, the PDS answers InvalidSwap, and the existing record is read back: ``dedupes = True``.
429 resets come as epoch seconds in ``ratelimit-reset``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from core.i18n import msg
from publishers import bluesky_text as bt
from publishers import bluesky_video as bv
from publishers.base import Account, Media, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    DuplicateContent,
    PublishError,
    Unavailable,
)
from publishers.http import Now, Response, classify, send, utc_now
from publishers.x import with_reset

DEFAULT_PDS = "https://bsky.social"
POST = "app.bsky.feed.post"
_REAUTH = ("AuthenticationRequired", "AuthMissing", "InvalidToken", "ExpiredToken")


class SessionExpired(AuthRevoked):
    """The access JWT expired or was refused; a refresh may fix it (handled internally)."""

    code = "session_expired"


class RecordExists(DuplicateContent):
    """putRecord's InvalidSwap: a record already has our key (handled internally)."""

    code = "record_exists"


def _classify(
    status: int, headers: Mapping[str, str], data: Any, text: str, now: datetime
) -> PublishError:
    name = str(data.get("error") or "") if isinstance(data, dict) else ""
    detail = str(data.get("message") or "") if isinstance(data, dict) else ""
    said = f"Bluesky answered {status}: {name}{': ' if name and detail else ''}{detail}"
    if name in ("ExpiredToken", "InvalidToken") or (status == 401 and name in ("", *_REAUTH)):
        return SessionExpired(said, status)
    if name == "InvalidSwap":
        return RecordExists(said, status)
    if name in ("AccountTakedown", "AccountDeactivated", "AuthFactorTokenRequired"):
        return AuthRevoked(f"{said}. Reconnect the account", status)
    shown = f"{name}: {detail}" if name and detail else (name or detail)
    body = {"error": shown} if shown else data
    return classify(
        status, with_reset(headers, "ratelimit-reset"), body, text, label="Bluesky", now=now
    )


def _pds_of(data: Mapping[str, Any]) -> str:
    """The PDS endpoint in a session's DID document, where the account's repo lives."""
    doc = data.get("didDoc")
    services = doc.get("service", []) if isinstance(doc, dict) else []
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds"):
            return str(service.get("serviceEndpoint") or "")
    return ""


@dataclass
class Session:
    """An atproto session: JWTs, the account's DID and handle, and its PDS from the DID doc."""

    access: str
    refresh: str
    did: str
    handle: str
    pds: str = ""

    def __repr__(self) -> str:
        return f"Session(did={self.did!r}, handle={self.handle!r})"


def _ref(receipt: Receipt) -> dict[str, str]:
    """A strong reference (com.atproto.repo.strongRef) to a post we made."""
    return {"uri": receipt.remote_id, "cid": str(receipt.extra.get("cid", ""))}


class BlueskyPublisher(Publisher):
    """Posts to the account's PDS (``base_url``, default bsky.social) with an app password."""

    platform: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    max_length: ClassVar[int] = bt.MAX_GRAPHEMES
    max_bytes: ClassVar[int] = bt.MAX_BYTES
    max_media: ClassVar[int] = 4
    media_types: ClassVar[frozenset[str]] = frozenset(
        {"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4"}
    )
    # app.bsky.embed.images#image: "May be up to 2 MB, formerly limited to 1 MB" (maxSize).
    max_image_bytes: ClassVar[int] = 2_000_000
    # An image's alt: the Bluesky app's limit (the lexicon sets none); a video's: the lexicon's
    # maxGraphemes for app.bsky.embed.video#alt.
    max_alt_length: ClassVar[int] = 2000
    max_video_alt: ClassVar[int] = 1000
    max_video_bytes: ClassVar[int] = bv.MAX_VIDEO_BYTES
    supports_threads: ClassVar[bool] = True
    comment_kind: ClassVar[str] = "reply"
    dedupes: ClassVar[bool] = True
    media_poll_attempts: int = 120
    media_poll_interval: float = 1.0
    now: Now = staticmethod(utc_now)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: dict[tuple[str, str], Session] = {}
        self.video_url = bv.VIDEO_URL

    def configure(self, settings: object) -> None:
        """The video service's base URL from ``BLUESKY_VIDEO_URL``."""
        self.video_url = str(getattr(settings, "bluesky_video_url", None) or bv.VIDEO_URL)

    def length(self, text: str) -> int:
        """Graphemes, as Bluesky counts."""
        return bt.length(text)

    def split(self, text: str, account: Account) -> list[str]:
        """Parts within 300 graphemes and 3000 bytes."""
        return bt.split_posts(text)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks (graphemes, count, type, size), the 3000-byte limit, one video alone."""
        problems = super().validate(request)
        name = request.account.handle or self.label
        size = bt.byte_length(request.text)
        if size > self.max_bytes and not (request.thread or request.parts):
            problems.append(
                Problem(
                    name,
                    msg(
                        "text is {size} bytes; Bluesky allows {limit}",
                        size=size,
                        limit=self.max_bytes,
                    ),
                )
            )
        videos = [m for m in request.media if m.content_type.startswith("video/")]
        if videos and len(request.media) > 1:
            problems.append(Problem(name, msg("Bluesky takes one video per post, without images")))
        for video in videos:
            alt, most = bt.length(video.alt), self.max_video_alt
            if alt > most:
                why = msg(
                    "a video's description (alt text) is {size} characters; Bluesky allows {limit}",
                    size=alt,
                    limit=most,
                )
                problems.append(Problem(name, why))
        return problems

    # --- sessions and calls ----------------------------------------------------------------

    @staticmethod
    def pds(account: Account) -> str:
        """The account's PDS base URL."""
        return (account.base_url or DEFAULT_PDS).rstrip("/")

    @staticmethod
    def identifier(account: Account) -> str:
        """The login identifier: ``settings["identifier"]``, else the handle without "@"."""
        return str(account.settings.get("identifier") or account.handle).lstrip("@")

    async def _xrpc(
        self,
        account: Account,
        method: str,
        nsid: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Response:
        url = f"{self.pds(account)}/xrpc/{nsid}" + (f"?{urlencode(query)}" if query else "")
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return await send(
            self.http, method, url, client_timeout=self.timeout, label=self.label,
            classifier=_classify, headers=sent, json_body=json_body, data=data, now=self.now,
        )  # fmt: skip

    def _session_from(self, resp: Response) -> Session:
        data = resp.data if isinstance(resp.data, dict) else {}
        if not all(isinstance(data.get(k), str) for k in ("accessJwt", "refreshJwt", "did")):
            raise Unavailable(f"{self.label} answered a session request without tokens")
        handle = str(data.get("handle") or "")
        return Session(data["accessJwt"], data["refreshJwt"], data["did"], handle, _pds_of(data))

    async def _create_session(self, account: Account) -> Session:
        body = {"identifier": self.identifier(account), "password": account.access_token}
        try:
            resp = await self._xrpc(account, "POST", "com.atproto.server.createSession",
                                    json_body=body)  # fmt: skip
        except SessionExpired as exc:
            raise AuthRevoked(
                f"{self.label} refused the app password ({exc.status}); reconnect the account",
                exc.status,
            ) from None
        session = self._session_from(resp)
        self.sessions[(self.pds(account), self.identifier(account))] = session
        return session

    async def _renew(self, account: Account, old: Session) -> Session:
        """A fresh session: refresh once, else log in again with the app password."""
        key = (self.pds(account), self.identifier(account))
        self.sessions.pop(key, None)
        try:
            resp = await self._xrpc(account, "POST", "com.atproto.server.refreshSession",
                                    token=old.refresh)  # fmt: skip
        except (SessionExpired, AuthRevoked):
            return await self._create_session(account)
        session = self._session_from(resp)
        self.sessions[key] = session
        return session

    async def session(self, account: Account) -> Session:
        """The cached session for ``account``, or a new one."""
        cached = self.sessions.get((self.pds(account), self.identifier(account)))
        return cached or await self._create_session(account)

    async def _authed(
        self, account: Account, method: str, nsid: str, **kw: Any
    ) -> tuple[Session, Response]:
        session = await self.session(account)
        try:
            return session, await self._xrpc(account, method, nsid, token=session.access, **kw)
        except SessionExpired:
            session = await self._renew(account, session)
        try:
            return session, await self._xrpc(account, method, nsid, token=session.access, **kw)
        except SessionExpired as exc:
            raise AuthRevoked(
                f"{self.label} refused a new session ({exc.status}); reconnect the account",
                exc.status,
            ) from None

    async def probe(self, account: Account) -> str:
        """``com.atproto.server.getSession`` with a session from the app password."""
        _, resp = await self._authed(account, "GET", "com.atproto.server.getSession")
        data = resp.data if isinstance(resp.data, dict) else {}
        if data.get("active") is False:
            status = data.get("status") or "inactive"
            raise AuthRevoked(f"{self.label} says the account is {status}; reconnect it")
        return f"signed in as @{data.get('handle') or account.handle}"

    # --- publishing ------------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> Receipt:
        """Upload images, then write the post under a record key made from our key."""
        account = request.account
        media_embed: dict[str, Any] | None = None
        if request.media and request.media[0].content_type.startswith("video/"):
            media_embed = await self._video(account, request.media[0])
        elif request.media:
            images = [await self._upload(account, item) for item in request.media]
            media_embed = {"$type": "app.bsky.embed.images", "images": images}
        return await self._post(request, media_embed, None)

    async def reply(self, request: PublishRequest, parent: Receipt, root: Receipt) -> Receipt:
        """A post whose ``reply`` names the thread's root and the post it answers (strong
        refs: URI and CID); its record key comes from the step's key, so a resend after an
        ambiguous answer finds the record instead of writing a second one."""
        refs = {"root": _ref(root), "parent": _ref(parent)}
        return await self._post(request, None, refs)

    async def _post(
        self, request: PublishRequest, embed: dict[str, Any] | None, reply: dict[str, Any] | None
    ) -> Receipt:
        account = request.account
        record: dict[str, Any] = {
            "$type": POST,
            "text": request.text,
            "createdAt": self.now().astimezone(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }  # fmt: skip
        if account.settings.get("langs"):
            record["langs"] = list(account.settings["langs"])[:3]
        facets = await self._facets(account, request.text)
        if facets:
            record["facets"] = facets
        if embed:
            record["embed"] = embed
        if reply:
            record["reply"] = reply
        session, ref = await self._write(account, bt.record_key(request.idempotency_key), record)
        handle = (session.handle or account.handle).lstrip("@")
        rkey = ref["uri"].rsplit("/", 1)[-1]
        return Receipt(
            remote_id=ref["uri"],
            url=f"https://bsky.app/profile/{handle}/post/{rkey}",
            extra={"cid": ref["cid"]},
        )

    async def _write(
        self, account: Account, rkey: str, record: dict[str, Any]
    ) -> tuple[Session, dict[str, str]]:
        session = await self.session(account)
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "record": record,
                "swapRecord": None}  # fmt: skip
        try:
            session, resp = await self._authed(
                account, "POST", "com.atproto.repo.putRecord", json_body=body
            )
        except RecordExists:
            # Written by an earlier attempt whose answer we never saw: read it back.
            query = {"repo": session.did, "collection": POST, "rkey": rkey}
            session, resp = await self._authed(
                account, "GET", "com.atproto.repo.getRecord", query=query
            )
        data = resp.data if isinstance(resp.data, dict) else {}
        if not data.get("uri") or not data.get("cid"):
            raise Ambiguous(f"{self.label} answered {resp.status} without the record's address")
        return session, {"uri": str(data["uri"]), "cid": str(data["cid"])}

    async def _upload(self, account: Account, media: Media) -> dict[str, Any]:
        _, resp = await self._authed(
            account, "POST", "com.atproto.repo.uploadBlob",
            data=io.BytesIO(await media.read()), headers={"Content-Type": media.content_type},
        )  # fmt: skip
        blob = resp.data.get("blob") if isinstance(resp.data, dict) else None
        if not isinstance(blob, dict):
            raise Unavailable(f"{self.label} accepted an image but returned no blob")
        image: dict[str, Any] = {"image": blob, "alt": media.alt}
        if media.width and media.height:
            image["aspectRatio"] = {"width": media.width, "height": media.height}
        return image

    async def _video(self, account: Account, media: Media) -> dict[str, Any]:
        session = await self.session(account)
        expires = int(self.now().timestamp()) + bv.SERVICE_TOKEN_SECONDS
        query = {"aud": bv.service_did(session.pds or self.pds(account)), "lxm": bv.UPLOAD_BLOB,
                 "exp": str(expires)}  # fmt: skip
        session, resp = await self._authed(
            account, "GET", "com.atproto.server.getServiceAuth", query=query
        )
        token = resp.data.get("token") if isinstance(resp.data, dict) else None
        if not isinstance(token, str) or not token:
            raise Unavailable(f"{self.label} answered a service-token request without a token")
        blob = await bv.upload(
            self.http, media, video_url=self.video_url, token=token, did=session.did,
            client_timeout=self.timeout, now=self.now, attempts=self.media_poll_attempts,
            interval=self.media_poll_interval,
        )  # fmt: skip
        return bv.embed(blob, media)

    async def _facets(self, account: Account, text: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for span in bt.detect(text):
            did = await self._resolve(account, span.value) if span.kind == "mention" else None
            made = bt.facet(span, did)
            if made is not None:
                out.append(made)
        return out

    async def _resolve(self, account: Account, handle: str) -> str | None:
        """The DID of ``handle``, or None: an unresolvable mention stays plain text."""
        try:
            resp = await self._xrpc(account, "GET", "com.atproto.identity.resolveHandle",
                                    query={"handle": handle})  # fmt: skip
        except PublishError:
            return None
        did = resp.data.get("did") if isinstance(resp.data, dict) else None
        return str(did) if isinstance(did, str) and did.startswith("did:") else None
