"""Build what a publisher sees from what storage holds."""

from __future__ import annotations

from collections.abc import AsyncIterator

from core.crypto import TokenCipher
from publishers.base import Account, Media, PublishRequest
from storage.media import MediaStore
from storage.views import AccountView, DestinationView, MediaView, PostView


def media_for(item: MediaView, store: MediaStore | None) -> Media:
    """A publisher's view of a stored file, reading through the store."""

    def _open() -> AsyncIterator[bytes]:
        assert store is not None
        return store.open(item.storage_key)

    async def _url() -> str:
        assert store is not None
        return await store.signed_url(item.storage_key)

    return Media(
        media_id=str(item.id),
        content_type=item.content_type,
        size=item.size_bytes,
        sha256=item.sha256,
        width=item.width,
        height=item.height,
        duration=item.duration_seconds,
        filename=item.filename,
        alt=item.alt,
        open=_open if store is not None else None,
        signed_url=_url if store is not None else None,
    )


def account_for(account: AccountView, cipher: TokenCipher | None) -> Account:
    """Decrypted only when about to publish; validation never needs the token."""
    token = cipher.decrypt(account.access_token_enc) if cipher is not None else ""
    return Account(
        account_id=str(account.id),
        platform=account.platform,
        handle=account.handle,
        access_token=token,
        base_url=account.base_url,
        settings=account.settings,
    )


def publish_request(
    post: PostView,
    destination: DestinationView | None,
    account: AccountView,
    media: tuple[MediaView, ...],
    *,
    store: MediaStore | None = None,
    cipher: TokenCipher | None = None,
    text: str | None = None,
    thread: bool | None = None,
) -> PublishRequest:
    return PublishRequest(
        destination_id=str(destination.id) if destination else "",
        idempotency_key=destination.idempotency_key if destination else "",
        text=post.text_for(account.platform) if text is None else text,
        account=account_for(account, cipher),
        media=tuple(media_for(m, store) for m in media),
        thread=post.thread if thread is None else thread,
        post_id=str(post.id),
        # A network with its own version gets that text (split when threading), not the parts.
        parts=() if post.variants.get(account.platform) else post.parts,
        first_comment=post.first_comment or "",
    )
