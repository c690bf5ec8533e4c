"""Telegram channels: posts sent by our bot, which must be an admin of the channel.

The account's ``access_token`` is the bot token and ``base_url`` the Bot API base
(``TELEGRAM_API_URL``, e.g. ``https://api.telegram.org/bot``); ``settings["chat_id"]`` is the
channel's numeric id and ``settings["username"]`` its public name, when it has one.

Text goes out with sendMessage (4096 characters, counted in UTF-16 units); one file with
sendPhoto/sendVideo/sendDocument and an album of 2-10 with sendMediaGroup, the text as the
caption (1024). Errors come as ``{"ok": false, "error_code", "description", "parameters"}``:
429 carries ``parameters.retry_after`` (RateLimited); 403 "bot was kicked" / "not enough
rights" means the bot lost its place in the channel (AuthRevoked: re-add it as an admin).
Telegram has no idempotency key, so an ambiguous send is reported, never blindly resent.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import aiohttp

from publishers.base import Account, Media, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    PublishError,
    RateLimited,
)
from publishers.http import classify, error_text, exchange, utc_now
from publishers.limits import MB, VIDEO_TYPES, WEB_MEDIA
from publishers.text import utf16_length

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CAPTION_LIMIT = 1024
READD = "Re-add the bot as an admin of the channel with the right to post, then press Retry."
_LOST_RIGHTS = ("kicked", "not enough rights", "not a member", "chat not found", "have no rights")


def post_url(account: Account, message_id: int | str) -> str:
    """``t.me/<username>/<id>`` for public channels, ``t.me/c/<internal id>/<id>`` otherwise."""
    username = str(account.settings.get("username") or "").lstrip("@")
    if not username and account.handle.startswith("@"):
        username = account.handle[1:]
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat = str(account.settings.get("chat_id") or "").removeprefix("-100").lstrip("-")
    return f"https://t.me/c/{chat}/{message_id}"


def _kind(media: Media) -> str:
    if media.content_type in PHOTO_TYPES:
        return "photo"
    if media.content_type in VIDEO_TYPES:
        return "video"
    return "document"


class TelegramChannelPublisher(Publisher):
    """Posts to one channel through the Bot API."""

    platform: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram"
    max_length: ClassVar[int] = 4096
    max_media: ClassVar[int] = 10
    media_types: ClassVar[frozenset[str]] = WEB_MEDIA
    # Bots upload photos up to 10 MB and other files up to 50 MB.
    max_image_bytes: ClassVar[int] = 10 * MB
    max_video_bytes: ClassVar[int] = 50 * MB
    dedupes: ClassVar[bool] = False

    def length(self, text: str) -> int:
        """UTF-16 code units, as Telegram counts."""
        return utf16_length(text)

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks, plus the caption limit when the text rides on media."""
        problems = super().validate(request)
        size = self.length(request.text)
        if request.media and size > CAPTION_LIMIT:
            name = request.account.handle or self.label
            why = f"with media the text is a caption: {size} of {CAPTION_LIMIT} characters allowed"
            problems.append(Problem(name, why))
        return problems

    async def probe(self, account: Account) -> str:
        """``getMe`` (the bot token), then ``getChat`` (the channel still reachable)."""
        me = await self.call(account, "getMe")
        chat = account.settings.get("chat_id") or account.handle
        await self.call(account, "getChat", json_body={"chat_id": chat})
        name = me.get("username") if isinstance(me, dict) else None
        return f"bot @{name or '?'} can reach {chat}"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Send the text, one file, or an album; the receipt is the (first) message."""
        account = request.account
        chat_id = str(account.settings.get("chat_id") or account.handle)
        media = request.media
        if not media:
            body = {"chat_id": chat_id, "text": request.text}
            result = await self.call(account, "sendMessage", json_body=body)
            return self._receipt(account, [result])
        if len(media) == 1:
            kind = _kind(media[0])
            form = aiohttp.FormData()
            form.add_field("chat_id", chat_id)
            if request.text.strip():
                form.add_field("caption", request.text)
            form.add_field(kind, await media[0].read(), filename=media[0].filename,
                           content_type=media[0].content_type)  # fmt: skip
            result = await self.call(account, "send" + kind.capitalize(), data=form)
            return self._receipt(account, [result])
        form = aiohttp.FormData()
        form.add_field("chat_id", chat_id)
        items: list[dict[str, Any]] = []
        # Telegram albums mix photos and videos, or hold documents only.
        as_documents = any(_kind(m) == "document" for m in media)
        for n, item in enumerate(media):
            entry: dict[str, Any] = {
                "type": "document" if as_documents else _kind(item),
                "media": f"attach://file{n}",
            }
            if n == 0 and request.text.strip():
                entry["caption"] = request.text
            items.append(entry)
            form.add_field(f"file{n}", await item.read(), filename=item.filename,
                           content_type=item.content_type)  # fmt: skip
        form.add_field("media", json.dumps(items))
        result = await self.call(account, "sendMediaGroup", data=form)
        return self._receipt(account, result if isinstance(result, list) else [result])

    def _receipt(self, account: Account, messages: list[Any]) -> Receipt:
        ids = [m.get("message_id") for m in messages if isinstance(m, dict)]
        if not ids or ids[0] is None:
            raise Ambiguous(f"{self.label} answered without a message id")
        extra = {"message_ids": ids} if len(ids) > 1 else {}
        return Receipt(remote_id=str(ids[0]), url=post_url(account, ids[0]), extra=extra)

    def _url(self, account: Account, method: str) -> str:
        base = account.base_url or "https://api.telegram.org/bot"
        if "{token}" in base:
            return base.format(token=account.access_token).rstrip("/") + "/" + method
        return f"{base}{account.access_token}/{method}"

    async def call(
        self, account: Account, method: str, *, json_body: Any = None, data: Any = None
    ) -> Any:
        """One Bot API call; its ``result``, or the classified error (never the URL: it holds
        the token)."""
        answer = await exchange(
            self.http,
            "POST",
            self._url(account, method),
            client_timeout=self.timeout,
            label=self.label,
            json_body=json_body,
            data=data,
            bad_address=READD,
        )
        body = answer.data
        if 200 <= answer.status < 300 and isinstance(body, dict) and body.get("ok") is True:
            return body["result"]
        raise self.classify(answer.status, answer.headers, body, answer.text)

    def classify(self, status: int, headers: Any, data: Any, text: str) -> PublishError:
        """Telegram's error body to our error tree."""
        body = data if isinstance(data, dict) else {}
        code = int(body.get("error_code") or status)
        message = error_text(body, text)
        params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        if code == 429:
            wait = float(params.get("retry_after") or 0) if params else 0.0
            return RateLimited(f"{self.label} rate limit reached", wait or 30.0, 429)
        if code == 403 or any(word in message.lower() for word in _LOST_RIGHTS):
            return AuthRevoked(f"{self.label} refused: {message}. {READD}", code)
        if code == 401:
            return AuthRevoked(
                f"{self.label} refused the bot token. Check TELEGRAM_BOT_TOKEN.", code
            )
        if 200 <= code < 300:
            return Ambiguous(f"{self.label} answered {code} without a result", code)
        if code == 400:
            return ContentRejected(f"{self.label} answered 400: {message}", code)
        return classify(code, headers, body, text, label=self.label, now=utc_now())
