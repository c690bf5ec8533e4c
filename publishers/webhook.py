"""Generic webhook: a signed JSON POST (Standard Webhooks) to the account's receiver URL.

The ``webhook-id`` header is the idempotency key, so a receiver that dedupes on it (as the
standard asks) makes resends safe. A 403 means the receiver refused our signature: the secret
changed, so the account must be reconnected (AuthRevoked). Each file in ``data.media`` is
``{url, content_type, size, sha256, alt}``; ``alt`` is the person's description ("" if none).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, ClassVar

from publishers import signing
from publishers.base import Media, Publisher, PublishRequest, Receipt
from publishers.errors import AuthRevoked, PublishError
from publishers.http import Now, send, utc_now
from publishers.limits import MB

EVENT_TYPE = "post.published"


class AnyType(frozenset[str]):
    """A set of media types that contains every type."""

    def __contains__(self, item: object) -> bool:
        return True


def _forbidden(message: str) -> type[PublishError]:
    return AuthRevoked


async def _media_entry(media: Media) -> dict[str, Any]:
    url = await media.signed_url() if media.signed_url is not None else None
    return {
        "url": url,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "alt": media.alt,
    }


class WebhookPublisher(Publisher):
    """POSTs each post as a signed ``post.published`` event."""

    platform: ClassVar[str] = "webhook"
    label: ClassVar[str] = "Webhook"
    max_length: ClassVar[int] = 100_000
    max_media: ClassVar[int] = 20
    # The receiver fetches files by URL, so no type is off limits.
    media_types: ClassVar[frozenset[str]] = AnyType()
    max_image_bytes: ClassVar[int] = 1024 * MB
    max_video_bytes: ClassVar[int] = 1024 * MB
    # Each file's ``alt`` in the payload; Outpost's own bound, as long as any network takes.
    max_alt_length: ClassVar[int] = 2000
    dedupes: ClassVar[bool] = True
    now: Now = staticmethod(utc_now)

    async def publish(self, request: PublishRequest) -> Receipt:
        """Deliver the signed event; the receipt is the receiver's id, else the webhook-id."""
        moment = self.now()
        payload = {
            "type": EVENT_TYPE,
            "timestamp": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": {
                "post_id": request.post_id,
                "destination_id": request.destination_id,
                "text": request.text,
                "media": [await _media_entry(item) for item in request.media],
            },
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            headers = signing.sign_headers(
                request.account.access_token, request.idempotency_key, int(moment.timestamp()), body
            )
        except signing.SignatureError:
            raise AuthRevoked("the webhook signing secret is malformed; reconnect it") from None
        resp = await send(
            self.http,
            "POST",
            request.account.base_url,
            client_timeout=self.timeout,
            label=self.label,
            headers={**headers, "Content-Type": "application/json"},
            data=body,
            now=self.now,
            forbidden=_forbidden,
        )
        data = resp.data if isinstance(resp.data, dict) else {}
        remote_id = data.get("id")
        url = data.get("url")
        return Receipt(
            remote_id=str(remote_id) if remote_id else request.idempotency_key,
            url=str(url) if url else None,
        )
