"""Where media bytes live: the interface and the local-disk store.

The Supabase store (``storage/supabase_store.py``) implements the same protocol. Keys are
``<workspace>/<sha256>`` so a file is stored once per workspace.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

CHUNK = 256 * 1024


class MediaStoreError(Exception):
    """The store could not take or give a file; ``retry`` when it may work later."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message, retry)
        self.message = message
        self.retry = retry


class MediaStore(Protocol):
    """Bytes by key; streamed both ways so videos never sit whole in memory."""

    async def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    def open(self, key: str) -> AsyncIterator[bytes]: ...

    async def signed_url(self, key: str, expires_in: int = 900) -> str: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


def sign_path(secret: bytes, key: str, expires: int) -> str:
    """HMAC for our own signed media route."""
    return hmac.new(secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()


def check_signature(secret: bytes, key: str, expires: int, signature: str, now: float) -> bool:
    if expires < now:
        return False
    return hmac.compare_digest(sign_path(secret, key, expires), signature)


class LocalMediaStore:
    """Files under ``DATA_DIR/media``, served by the web app's signed ``/media/`` route."""

    def __init__(self, root: Path, public_url: str, secret: bytes) -> None:
        self.root = root
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise MediaStoreError("bad media key", retry=False)
        return path

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        target = self._path(key)

        def _copy() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            with path.open("rb") as src, tmp.open("wb") as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
            os.replace(tmp, target)  # readers never see a half-written file

        await asyncio.to_thread(_copy)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        if not path.exists():
            raise MediaStoreError(f"media {key} is missing from the store", retry=False)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def signed_url(self, key: str, expires_in: int = 900) -> str:
        expires = int(time.time()) + expires_in
        sig = sign_path(self.secret, key, expires)
        return f"{self.public_url}/media/{key}?expires={expires}&sig={sig}"

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).exists)
