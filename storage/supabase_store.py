"""Media in Supabase Storage, through ``storage3``'s async client.

We build ``storage3.AsyncStorageClient`` ourselves rather than through
``supabase.acreate_client``: the full client also starts auth and realtime clients we never
use, and its storage factory passes a ``timeout`` argument that ``storage3`` deprecates. The
headers are the ones the Supabase client sends: ``apiKey`` and ``Authorization: Bearer``.

Streaming: ``upload`` is given an open file, which httpx's multipart encoder reads 64 KiB at
a time with a known ``Content-Length``, so a video is never whole in memory. ``download``
returns ``response.content`` (the whole file), so ``open`` streams the same authenticated
``GET /object/{bucket}/{path}`` through the client's own httpx session instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from storage3 import AsyncStorageClient
from storage3.exceptions import StorageApiError
from yarl import URL

from storage.media import CHUNK, MediaStoreError

UNREACHABLE_HINT = "Try again in a minute; if it keeps failing, check SUPABASE_URL."


def _status(exc: StorageApiError) -> str:
    return str(exc.status)


def store_error(action: str, exc: Exception) -> MediaStoreError:
    """One clear, secret-free error for whatever Storage or the network did."""
    if isinstance(exc, StorageApiError):
        status = _status(exc)
        if status in ("401", "403") or exc.code in ("InvalidJWT", "Unauthorized"):
            return MediaStoreError(
                f"Supabase Storage refused our credentials while trying to {action} "
                f"(HTTP {status}).",
                retry=False,
                hint="Check SUPABASE_SERVICE_ROLE_KEY: it must be the project's service role key.",
            )
        if status == "413":
            return MediaStoreError(
                "Supabase Storage refused the file as too large for the bucket.",
                retry=False,
                hint="Raise the bucket's file size limit, or send a smaller file.",
            )
        retry = status.startswith("5") or status == "429"
        return MediaStoreError(
            f"Supabase Storage could not {action}: {exc.message} (HTTP {status}).",
            retry=retry,
            hint=UNREACHABLE_HINT if retry else "",
        )
    if isinstance(exc, httpx.TimeoutException):
        return MediaStoreError(
            f"Supabase Storage did not answer in time while trying to {action}.",
            hint=UNREACHABLE_HINT,
        )
    return MediaStoreError(
        f"Supabase Storage is unreachable, so we could not {action} ({exc.__class__.__name__}).",
        hint=UNREACHABLE_HINT,
    )


FAILURES = (StorageApiError, httpx.HTTPError)


class SupabaseMediaStore:
    """Objects in one bucket; keys are ``<workspace>/<sha256>`` paths inside it."""

    def __init__(
        self,
        url: str,
        service_key: str,
        bucket: str = "media",
        *,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.bucket = bucket
        self.storage_url = URL(url.rstrip("/") + "/storage/v1/")
        headers = {"apiKey": service_key, "Authorization": f"Bearer {service_key}"}
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=timeout or httpx.Timeout(30.0, connect=10.0),
            follow_redirects=True,
        )
        self.client = AsyncStorageClient(str(self.storage_url), headers, http_client=self._http)
        self._files = self.client.from_(bucket)

    async def prepare(self) -> None:
        """Create the bucket (private) if it is missing."""
        try:
            await self.client.get_bucket(self.bucket)
            return
        except StorageApiError as exc:
            if _status(exc) != "404":
                raise store_error(f"read bucket {self.bucket!r}", exc) from None
        except httpx.HTTPError as exc:
            raise store_error(f"read bucket {self.bucket!r}", exc) from None
        try:
            await self.client.create_bucket(self.bucket, options={"public": False})
        except StorageApiError as exc:
            if _status(exc) != "409":  # another process created it first
                raise store_error(f"create bucket {self.bucket!r}", exc) from None
        except httpx.HTTPError as exc:
            raise store_error(f"create bucket {self.bucket!r}", exc) from None

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Upload with upsert: keys are content hashes, so a retry writes the same bytes."""
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            await self._files.upload(
                key,
                handle,
                {"content-type": content_type, "upsert": "true", "cache-control": "31536000"},
            )
        except FAILURES as exc:
            raise store_error("store the file", exc) from None
        finally:
            handle.close()

    async def open(self, key: str) -> AsyncIterator[bytes]:
        url = str(self.storage_url.joinpath("object", self.bucket, *key.split("/")))
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise _download_error(key, response.status_code, await response.aread())
                async for chunk in response.aiter_bytes(CHUNK):
                    yield chunk
        except httpx.HTTPError as exc:
            raise store_error("read the file", exc) from None

    async def signed_url(self, key: str, expires_in: int = 900) -> str:
        try:
            signed = await self._files.create_signed_url(key, expires_in)
        except FAILURES as exc:
            raise store_error("sign a link to the file", exc) from None
        url = signed["signedURL"]
        if not url:
            raise MediaStoreError("Supabase Storage returned no signed URL.", retry=True)
        return url

    async def delete(self, key: str) -> None:
        try:
            await self._files.remove([key])
        except FAILURES as exc:
            raise store_error("delete the file", exc) from None

    async def exists(self, key: str) -> bool:
        try:
            return await self._files.exists(key)
        except FAILURES as exc:
            raise store_error("look the file up", exc) from None


def _download_error(key: str, status: int, body: bytes) -> MediaStoreError:
    """Storage's error body names the real code; a missing object is not worth retrying."""
    try:
        parsed = json.loads(body)
        code = str(parsed.get("statusCode", status))
        message = str(parsed.get("message", ""))
        error = str(parsed.get("error", ""))
    except (ValueError, AttributeError):
        code, message, error = str(status), body[:200].decode("utf-8", "replace"), ""
    if code == "404":
        return MediaStoreError(f"media {key} is missing from the store", retry=False)
    return store_error("read the file", StorageApiError(message, error, code))
