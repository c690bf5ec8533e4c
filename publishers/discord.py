"""Discord: a message through a channel webhook (``?wait=true``), with files as attachments.

The account's ``base_url`` is the webhook URL, whose last segment is a secret token: it never
appears in messages or receipts. Discord has no idempotency key for webhooks and a webhook can
only read back messages whose id it knows, so after an ambiguous outcome the post is reported
honestly as "may have been published" (``find_existing`` returns False). A deleted webhook
(404 Unknown Webhook, code 10015) or a bad token (401, code 50027) means reconnect. A 429 body
carries ``retry_after`` in seconds; ``X-RateLimit-Reset-After`` says the same in its headers.

Files: each may be 10 MiB in a server without boosts (API reference "Uploading Files" and the
help article "File Upload Limit", read 2026-12-07; 50 MiB at boost level 2, 100 MiB at level
3, set per account as ``settings["max_upload_bytes"]``); larger is 413, code 40005. Alt text
rides in the ``attachments`` array as ``description`` (at most 1024 characters).
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import aiohttp
from multidict import CIMultiDict

from core.i18n import msg
from publishers.base import Account, Problem, Publisher, PublishRequest, Receipt
from publishers.errors import Ambiguous, AuthRevoked, PublishError
from publishers.http import Now, Response, classify, send, utc_now
from publishers.limits import MB
from publishers.webhook import AnyType

API_VERSION = "v10"
UNKNOWN_WEBHOOK = 10015
INVALID_WEBHOOK_TOKEN = 50027


def _classify(
    status: int, headers: Mapping[str, str], data: Any, text: str, now: datetime
) -> PublishError:
    code = data.get("code") if isinstance(data, dict) else None
    if (status == 404 and code == UNKNOWN_WEBHOOK) or code == INVALID_WEBHOOK_TOKEN:
        return AuthRevoked(
            "Discord no longer knows this webhook; connect a new webhook URL", status
        )
    fixed: CIMultiDict[str] = CIMultiDict(headers)
    if (
        status == 429
        and isinstance(data, dict)
        and isinstance(data.get("retry_after"), int | float)
    ):
        # The body's figure has millisecond precision; the Retry-After header is rounded.
        fixed["Retry-After"] = str(data["retry_after"])
    elif "X-RateLimit-Reset-After" in fixed and "Retry-After" not in fixed:
        fixed["Retry-After"] = fixed["X-RateLimit-Reset-After"]
    return classify(status, fixed, data, text, label="Discord", now=now)


def versioned(url: str) -> str:
    """The webhook URL on API v10: an unversioned URL gets Discord's deprecated default version,
    and v10 is not served on the old discordapp.com host (API reference "API Versioning")."""
    url = url.split("?", 1)[0].rstrip("/").replace("://discordapp.com/", "://discord.com/", 1)
    return url.replace("/api/webhooks/", f"/api/{API_VERSION}/webhooks/", 1)


class DiscordPublisher(Publisher):
    """Executes the account's channel webhook."""

    platform: ClassVar[str] = "discord"
    label: ClassVar[str] = "Discord"
    max_length: ClassVar[int] = 2000
    max_media: ClassVar[int] = 10
    # Discord attaches any file; only the size counts.
    media_types: ClassVar[frozenset[str]] = AnyType()
    # Per file, in a server without boosts.
    max_image_bytes: ClassVar[int] = 10 * MB
    max_video_bytes: ClassVar[int] = 10 * MB
    max_alt_length: ClassVar[int] = 1024
    supports_threads: ClassVar[bool] = False
    dedupes: ClassVar[bool] = False
    now: Now = staticmethod(utc_now)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guilds: dict[str, str] = {}

    def validate(self, request: PublishRequest) -> list[Problem]:
        """The base checks, with each file held to the server's limit (10 MiB unboosted)."""
        # The base compares sizes with the class's unboosted limit; a boosted server's own
        # limit (settings) replaces it, so sizes are checked here instead.
        unsized = tuple(dataclasses.replace(m, size=0) for m in request.media)
        problems = super().validate(dataclasses.replace(request, media=unsized))
        limit = int(request.account.settings.get("max_upload_bytes") or self.max_image_bytes)
        name = request.account.handle or self.label
        for item in request.media:
            if item.size > limit:
                why = msg("a file is {size} KB; Discord takes {limit} KB per file in this server",
                          size=item.size // 1024, limit=limit // 1024)  # fmt: skip
                problems.append(Problem(name, why))
        return problems

    async def _send(self, method: str, url: str, **kw: Any) -> Response:
        return await send(
            self.http, method, url, client_timeout=self.timeout, label=self.label,
            classifier=_classify, now=self.now, **kw,
        )  # fmt: skip

    async def probe(self, account: Account) -> str:
        """``GET`` the webhook: it still exists (a deleted one answers 404 Unknown Webhook)."""
        resp = await self._send("GET", versioned(account.base_url))
        data = resp.data if isinstance(resp.data, dict) else {}
        return f"webhook {data.get('name') or account.handle} exists"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Check the webhook (and learn its guild), then post the message and its files."""
        account = request.account
        webhook = versioned(account.base_url)
        guild = await self._guild(webhook, account.settings)
        payload: dict[str, Any] = {"content": request.text}
        if not account.settings.get("allow_mentions"):
            # A scheduled post should not ping @everyone by surprise.
            payload["allowed_mentions"] = {"parse": []}
        if account.settings.get("username"):
            payload["username"] = str(account.settings["username"])[:80]
        query = "?wait=true"
        if account.settings.get("thread_id"):
            query += f"&thread_id={int(account.settings['thread_id'])}"
        if request.media:
            form = aiohttp.FormData()
            payload["attachments"] = [
                {"id": str(n), "filename": m.filename} | ({"description": m.alt} if m.alt else {})
                for n, m in enumerate(request.media)
            ]
            form.add_field("payload_json", json.dumps(payload), content_type="application/json")
            for n, item in enumerate(request.media):
                form.add_field(f"files[{n}]", io.BytesIO(await item.read()), filename=item.filename,
                               content_type=item.content_type)  # fmt: skip
            resp = await self._send("POST", webhook + query, data=form)
        else:
            resp = await self._send("POST", webhook + query, json_body=payload)
        data = resp.data if isinstance(resp.data, dict) else {}
        if not data.get("id"):
            raise Ambiguous(f"{self.label} answered {resp.status} without a message id")
        message_id, channel = str(data["id"]), str(data.get("channel_id") or "")
        url = f"https://discord.com/channels/{guild}/{channel}/{message_id}" if guild else None
        return Receipt(remote_id=message_id, url=url, extra={"channel_id": channel})

    async def _guild(self, webhook: str, settings: Mapping[str, Any]) -> str:
        """The webhook's guild id (for message links); reading it also proves the webhook works."""
        if settings.get("guild_id"):
            return str(settings["guild_id"])
        if webhook not in self._guilds:
            resp = await self._send("GET", webhook)
            data = resp.data if isinstance(resp.data, dict) else {}
            self._guilds[webhook] = str(data.get("guild_id") or "")
        return self._guilds[webhook]

    async def find_existing(self, request: PublishRequest) -> Receipt | bool | None:
        """Unknowable: a webhook cannot list its channel, and no message id came back."""
        return False
