"""Where media bytes live: the interface and the local-disk store.

The Supabase store (``storage/supabase_store.py``) implements the same protocol. Keys are
``<workspace>/<sha256>`` so a file is stored once per workspace, and the bytes under a key
never change: writing a key again is harmless, which makes every upload safe to retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from core.errors import OutpostError

CHUNK = 256 * 1024


class MediaStoreError(OutpostError):
    """The store could not take or give a file; ``retry`` when it may work later."""

    code = "media_unavailable"

    def __init__(self, message: str, retry: bool = True, hint: str = "") -> None:
        super().__init__(message, hint)
        self.args = (message, retry, hint)  # so the error pickles back whole (arq stores it)
        self.retry = retry


class MediaStore(Protocol):
    """Bytes by key; streamed both ways so videos never sit whole in memory."""

    async def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    def open(self, key: str) -> AsyncIterator[bytes]: ...

    async def signed_url(self, key: str, expires_in: int = 900) -> str: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def prepare(self) -> None:
        """Make the store ready (directory, bucket); called once at start-up."""

    async def aclose(self) -> None:
        """Release the store's connections; called once at shutdown."""


def sign_path(secret: bytes, key: str, expires: int) -> str:
    """HMAC for our own signed media route."""
    return hmac.new(secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()


def check_signature(secret: bytes, key: str, expires: int, signature: str, now: float) -> bool:
    """Whether ``signature`` is ours for ``key`` and ``expires`` has not passed."""
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
            # A temp name of its own: two uploads of the same file may race to this key.
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
                    while chunk := src.read(CHUNK):
                        dst.write(chunk)
                os.replace(tmp_name, target)  # readers never see a half-written file
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise

        try:
            await asyncio.to_thread(_copy)
        except OSError as exc:
            raise MediaStoreError(
                f"The media folder could not take the file ({exc.strerror or exc}).",
                retry=False,
                hint="Check that DATA_DIR is writable and has free space.",
            ) from None

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
        try:
            await asyncio.to_thread(self._path(key).unlink, True)
        except OSError as exc:
            raise MediaStoreError(
                f"The media folder could not delete a file ({exc.strerror or exc}).",
                retry=True,
            ) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def prepare(self) -> None:
        """Create the media folder."""
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def aclose(self) -> None:
        """Nothing to release: files are opened per call."""
