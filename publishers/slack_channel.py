"""Slack channel: post with the installation's bot token to a channel the app is in.

The message carries our idempotency key in its metadata, so after an ambiguous outcome
``find_existing`` (``conversations.history`` with metadata) finds it and it is never sent
twice. History is read only then, never before a post: since 2025-05-29 Slack allows apps
installed by OAuth outside the Marketplace one ``conversations.history`` call a minute and 15
messages ("Rate limit changes for non-Marketplace apps"); its 429 is a RateLimited the caller
retries later. Files are uploaded first (``files.getUploadURLExternal`` with ``alt_txt``, then
the upload URL), the message is posted, and ``files.completeUploadExternal`` shares them in its
thread using the channel ID ``chat.postMessage`` answered with: a ``#name`` channel works,
and ``completeUploadExternal`` (which takes IDs only) never sees a name. Once the message is
out, a failure sharing the files is Ambiguous, so the message is looked up, never resent.
Slack answers HTTP 200 with ``{"ok": false, "error": code}``; codes are classified here:

    ratelimited (or HTTP 429)                      -> RateLimited (Retry-After)
    invalid_auth, token_revoked, account_inactive  -> AuthRevoked (reinstall the app)
    channel_not_found, not_in_channel, is_archived -> ContentRejected (invite the app)
    anything else                                  -> ContentRejected with Slack's code
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from publishers.base import Account, Media, Publisher, PublishRequest, Receipt
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    PublishError,
    RateLimited,
)
from publishers.http import DEFAULT_RETRY_AFTER, Now, send, utc_now
from publishers.limits import MB, WEB_MEDIA

API_URL = "https://slack.com/api/"
EVENT_TYPE = "outpost_post"
AUTH_CODES = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "no_permission",
        "missing_scope",
        "team_access_not_granted",
        "org_login_required",
    }
)
CHANNEL_CODES = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "cannot_post_to_channel",
    }
)


def _forbidden(message: str) -> type[PublishError]:
    return AuthRevoked


def slack_error(code: str, label: str = "Slack") -> PublishError:
    """The error for a Slack ``ok: false`` answer."""
    if code == "ratelimited":
        return RateLimited(f"{label} rate limit reached", DEFAULT_RETRY_AFTER)
    if code in AUTH_CODES:
        return AuthRevoked(f"{label} refused the app's token ({code}); reinstall the app")
    if code in CHANNEL_CODES:
        return ContentRejected(
            f"{label} refused the channel ({code}): invite the app with /invite @Outpost"
        )
    return ContentRejected(f"{label} refused the post ({code})")


class SlackChannelPublisher(Publisher):
    """Posts to the channel in ``account.settings["channel"]``."""

    platform: ClassVar[str] = "slack"
    label: ClassVar[str] = "Slack"
    max_length: ClassVar[int] = 40_000
    max_media: ClassVar[int] = 10
    media_types: ClassVar[frozenset[str]] = WEB_MEDIA
    max_image_bytes: ClassVar[int] = 1024 * MB
    max_video_bytes: ClassVar[int] = 1024 * MB
    # files.getUploadURLExternal's alt_txt: longer is "alt_txt_too_large".
    max_alt_length: ClassVar[int] = 1000
    # conversations.history for non-Marketplace installs returns at most 15 messages.
    history_limit: ClassVar[int] = 15
    # find_existing only believes messages this recent (the key is unique anyway).
    lookback: ClassVar[timedelta] = timedelta(days=2)
    now: Now = staticmethod(utc_now)

    @staticmethod
    def _base(account: Account) -> str:
        return (account.base_url or API_URL).rstrip("/") + "/"

    async def _call(
        self,
        account: Account,
        method: str,
        *,
        query: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Web API call; raises the classified error when Slack says ``ok: false``."""
        url = self._base(account) + method
        if query:
            url += "?" + urlencode(query)
        resp = await send(
            self.http,
            "POST" if form is not None or body is not None else "GET",
            url,
            client_timeout=self.timeout,
            label=self.label,
            headers={"Authorization": f"Bearer {account.access_token}"},
            json_body=body,
            data=form,
            now=self.now,
            forbidden=_forbidden,
        )
        data = resp.data if isinstance(resp.data, dict) else {}
        if not data.get("ok"):
            raise slack_error(str(data.get("error") or "unknown_error"), self.label)
        return data

    @staticmethod
    def _channel(account: Account) -> str:
        # The id survives renames; a "#name" handle is what Slack also accepts.
        channel = str(account.settings.get("channel") or account.handle or "")
        if not channel:
            raise AuthRevoked("the Slack account has no channel; connect it again")
        return channel

    async def probe(self, account: Account) -> str:
        """``auth.test`` (the token), then ``conversations.info`` (the channel still there)."""
        await self._call(account, "auth.test", form={})
        channel = self._channel(account)
        if channel.startswith("#"):
            # conversations.info takes only IDs; a "#name" channel is found when posting.
            return f"the app's token works; {channel} is checked when a post is sent"
        await self._call(account, "conversations.info", query={"channel": channel})
        return f"can reach {account.handle or channel}"

    async def publish(self, request: PublishRequest) -> Receipt:
        """Upload files, post the message, share the files in its thread, link it."""
        account = request.account
        channel = self._channel(account)
        files = [await self._upload(account, item) for item in request.media]
        sent = await self._call(
            account,
            "chat.postMessage",
            body={
                "channel": channel,
                "text": request.text,
                "unfurl_links": True,
                "metadata": {
                    "event_type": EVENT_TYPE,
                    "event_payload": {"key": request.idempotency_key},
                },
            },
        )
        ts = str(sent.get("ts") or "")
        # The ID, also when the account names the channel "#launches".
        channel = str(sent.get("channel") or channel)
        if files:
            try:
                await self._call(
                    account,
                    "files.completeUploadExternal",
                    body={"files": files, "channel_id": channel, "thread_ts": ts},
                )
            except PublishError as exc:
                # The message is out: a resend would post it twice.
                raise Ambiguous(
                    f"{self.label} posted the message but did not share its files ({exc})"
                ) from None
        return Receipt(remote_id=ts, url=await self._permalink(account, channel, ts))

    async def _upload(self, account: Account, item: Media) -> dict[str, str]:
        data = await item.read()
        form = {"filename": item.filename, "length": str(len(data))}
        if item.alt:
            form["alt_txt"] = item.alt
        ticket = await self._call(account, "files.getUploadURLExternal", form=form)
        await send(
            self.http,
            "POST",
            str(ticket["upload_url"]),
            client_timeout=self.timeout,
            label=self.label,
            data=data,
            now=self.now,
            forbidden=_forbidden,
            headers={"Content-Type": "application/octet-stream"},
        )
        return {"id": str(ticket["file_id"]), "title": item.filename}

    async def _permalink(self, account: Account, channel: str, ts: str) -> str | None:
        try:
            found = await self._call(
                account, "chat.getPermalink", query={"channel": channel, "message_ts": ts}
            )
        except PublishError:
            return None  # posted all the same; the link is a convenience
        return str(found.get("permalink") or "") or None

    async def find_existing(self, request: PublishRequest) -> Receipt | bool | None:
        """Our message in the channel's recent history, by the key in its metadata.

        Called only after an ambiguous outcome. A 429 (non-Marketplace installs get one call a
        minute) raises RateLimited, so the caller looks again on its next pass.
        """
        account = request.account
        channel = self._channel(account)
        oldest = (self.now() - self.lookback).timestamp()
        try:
            history = await self._call(
                account,
                "conversations.history",
                query={
                    "channel": channel,
                    "oldest": f"{oldest:.6f}",
                    "limit": self.history_limit,
                    "include_all_metadata": "true",
                },
            )
        except AuthRevoked as exc:
            if "missing_scope" in exc.message:
                return False  # no channels:history scope: Slack cannot tell us
            raise
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == request.idempotency_key:
                ts = str(message["ts"])
                return Receipt(remote_id=ts, url=await self._permalink(account, channel, ts))
        # Only the newest page was read (15 messages for non-Marketplace installs): absent from
        # it is not absent from the channel, and a resend could post twice.
        return False if history.get("has_more") else None
