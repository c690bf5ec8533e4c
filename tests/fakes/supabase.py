"""A fake Supabase project: Storage (below) and Auth (``tests/fakes/supabase_auth.py``,
mounted here under ``/auth/v1`` on the same URL, as Supabase serves both).

Storage: the paths, headers and error bodies ``storage3`` meets.

Storage answers client errors with HTTP 400 and the real code in the body, e.g.
``{"statusCode": "404", "error": "not_found", "message": "Object not found"}``; only
internal errors keep HTTP 500. The API gateway in front answers a missing or wrong
``apikey`` with 401 ``{"message": "Invalid API key"}``. Objects are kept on disk so a
200 MB upload never sits in the fake's memory.

Every storage call passes through the base's fault queue (``fail_next``); ``down = True``
resets every connection as a crashed or unreachable server would, and
``drop_upload_after`` cuts an upload's connection after that many body bytes.

Run alone with ``python -m tests.fakes.supabase --port N [--key KEY]``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import BodyPartReader, web

from tests.fakes.base import RECORDED, FakeServer, Handler, Recorded, run_main
from tests.fakes.supabase_auth import AUTH, FakeSupabaseAuth

SERVICE_KEY = "fake-service-role-key"
PREFIX = "/storage/v1"
CHUNK = 256 * 1024


def storage_error(status: str, error: str, message: str) -> web.Response:
    """Storage's error body; HTTP 500 only for internal errors, else 400 (as upstream)."""
    http = 500 if status == "500" else 400
    return web.json_response(
        {"statusCode": status, "error": error, "message": message}, status=http
    )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class StoredObject:
    """One object: bytes on disk plus what Storage reports about it."""

    file: Path
    content_type: str
    size: int
    etag: str
    cache_control: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=_now_iso)


class FakeSupabaseStorage(FakeServer):
    """Buckets and objects under ``/storage/v1``; ``url`` is the Supabase project URL."""

    name = "supabase"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"statusCode": "400", "error": "Bad Request", "message": "Invalid input"}),
        "401": (401, {"statusCode": "401", "error": "Unauthorized", "message": "Invalid JWT"}),
        "403": (
            400,
            {"statusCode": "403", "error": "Unauthorized", "message": "Access denied"},
        ),
        "422": (400, {"statusCode": "422", "error": "invalid_mime_type", "message": "Invalid"}),
        "500": (
            500,
            {"statusCode": "500", "error": "internal", "message": "Internal Server Error"},
        ),
        "503": (503, {"message": "upstream connect error or disconnect/reset before headers"}),
    }

    def __init__(self, key: str = SERVICE_KEY, seed: int = 0) -> None:
        super().__init__(seed)
        self.key = key
        self.down = False
        self.drop_upload_after: int | None = None
        self.max_object_bytes: int | None = None
        self.buckets: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.uploaded: list[str] = []
        self._dir = Path(tempfile.mkdtemp(prefix="fake-supabase-"))
        self._sign_secret = uuid.uuid4().bytes
        self.auth = FakeSupabaseAuth(key)

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Listen; Auth's links and redirects name the same URL."""
        self.auth.url = await super().start(port, host)
        return self.url

    # --- controls ------------------------------------------------------------------------

    def created_keys(self) -> list[str]:
        """``bucket/path`` of each object written, in order (upserts included)."""
        return list(self.uploaded)

    def reset(self) -> None:
        """Forget recordings, buckets and objects."""
        super().reset()
        self.down = False
        self.drop_upload_after = None
        self.buckets.clear()
        self.objects.clear()
        self.uploaded.clear()
        self.auth.reset_auth()
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        """Stop listening and remove stored bytes."""
        await super().stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def configure(self, config: dict[str, Any]) -> None:
        """``down``, ``drop_upload_after``, ``max_object_bytes``."""
        super().configure(config)
        if "down" in config:
            self.down = bool(config["down"])
        if "drop_upload_after" in config:
            value = config["drop_upload_after"]
            self.drop_upload_after = None if value is None else int(value)
        if "max_object_bytes" in config:
            value = config["max_object_bytes"]
            self.max_object_bytes = None if value is None else int(value)

    def state(self) -> dict[str, Any]:
        """Recording plus buckets and object sizes."""
        return {
            **super().state(),
            "buckets": sorted(self.buckets),
            "objects": {f"{b}/{p}": o.size for (b, p), o in self.objects.items()},
        }

    def object_bytes(self, bucket: str, path: str) -> bytes:
        """A stored object's bytes, for assertions on small files."""
        return self.objects[(bucket, path)].file.read_bytes()

    # --- plumbing ------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Storage routes; the specific ``sign``/``info`` paths before the generic ones."""
        r = app.router
        r.add_get(PREFIX + "/bucket", self._list_buckets)
        r.add_post(PREFIX + "/bucket", self._create_bucket)
        r.add_get(PREFIX + "/bucket/{id}", self._get_bucket)
        r.add_post(PREFIX + "/object/sign/{bucket}/{path:.+}", self._sign)
        r.add_get(PREFIX + "/object/sign/{bucket}/{path:.+}", self._signed_download)
        r.add_get(PREFIX + "/object/info/{bucket}/{path:.+}", self._info)
        r.add_post(PREFIX + "/object/{bucket}/{path:.+}", self._upload)
        r.add_put(PREFIX + "/object/{bucket}/{path:.+}", self._upload)
        r.add_get(PREFIX + "/object/{bucket}/{path:.+}", self._download)
        r.add_delete(PREFIX + "/object/{bucket}", self._remove)
        self.auth.add_auth_routes(app)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await handler(request)
        if self.down:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)  # never reaches the client
        rec = Recorded(request.method, request.path, dict(request.headers), dict(request.query))
        rec.at = time.time()
        # Upload bodies are streamed to disk by the handler, which fills ``rec.form``.
        upload = request.method in ("POST", "PUT") and "/object/" in request.path
        if not upload or "/object/sign/" in request.path:
            rec.body = await request.read()
            if rec.body and request.content_type == "application/json":
                try:
                    rec.json = json.loads(rec.body)
                except ValueError:
                    rec.json = None
        self.requests.append(rec)
        request[RECORDED] = rec
        signed_get = request.path.startswith(PREFIX + "/object/sign/") and request.method == "GET"
        # The gateway checks the service key on Storage paths; Auth has its own rules.
        if request.path.startswith(PREFIX) and not signed_get:
            denied = self._auth(request)
            if denied is not None:
                return denied
        if request.path.startswith(AUTH):
            refused = self.auth.gateway(request)
            if refused is not None:
                return refused
        return await handler(request)

    def _auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("apikey") != self.key:
            return web.json_response({"message": "Invalid API key"}, status=401)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return storage_error("403", "Unauthorized", "invalid signature")
        return None

    def _bucket_or_error(self, name: str) -> web.Response | None:
        if name not in self.buckets:
            return storage_error("404", "Bucket not found", "Bucket not found")
        return None

    def _token(self, bucket: str, path: str, expires: int) -> str:
        mac = hmac.new(self._sign_secret, f"{bucket}/{path}:{expires}".encode(), hashlib.sha256)
        sig = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
        return f"{expires}.{sig}"

    # --- buckets -------------------------------------------------------------------------

    async def _list_buckets(self, request: web.Request) -> web.StreamResponse:
        return await self.create_call(request, lambda: _json(list(self.buckets.values())))

    async def _get_bucket(self, request: web.Request) -> web.StreamResponse:
        async def answer() -> web.StreamResponse:
            name = request.match_info["id"]
            return self._bucket_or_error(name) or web.json_response(self.buckets[name])

        return await self.create_call(request, answer)

    async def _create_bucket(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORDED].json or {}

        async def answer() -> web.StreamResponse:
            name = str(body.get("id") or body.get("name") or "")
            if not name:
                return storage_error(
                    "400", "Bad Request", "body must have required property 'name'"
                )
            if name in self.buckets:
                return storage_error("409", "Duplicate", "The resource already exists")
            now = _now_iso()
            self.buckets[name] = {
                "id": name,
                "name": str(body.get("name") or name),
                "owner": "",
                "public": bool(body.get("public", False)),
                "file_size_limit": body.get("file_size_limit"),
                "allowed_mime_types": body.get("allowed_mime_types"),
                "created_at": now,
                "updated_at": now,
            }
            return web.json_response({"name": name})

        return await self.create_call(request, answer)

    # --- objects -------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        bucket, path = request.match_info["bucket"], request.match_info["path"]
        rec: Recorded = request[RECORDED]

        async def answer() -> web.StreamResponse:
            missing = self._bucket_or_error(bucket)
            if missing is not None:
                return missing
            exists = (bucket, path) in self.objects
            upsert = request.headers.get("x-upsert", "false").lower() == "true"
            if request.method == "POST" and exists and not upsert:
                return storage_error("409", "Duplicate", "The resource already exists")
            if request.method == "PUT" and not exists:
                return storage_error("404", "not_found", "Object not found")
            received = await self._receive(request, rec)
            if isinstance(received, web.StreamResponse):
                return received
            self.objects[(bucket, path)] = received
            self.uploaded.append(f"{bucket}/{path}")
            return web.json_response({"Key": f"{bucket}/{path}", "Id": received.id})

        return await self.create_call(request, answer)

    async def _receive(self, request: web.Request, rec: Recorded) -> StoredObject | web.Response:
        """Stream the upload body (multipart ``file`` part, or a raw body) to disk."""
        target = self._dir / uuid.uuid4().hex
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        cache_control = "no-cache"
        form: dict[str, Any] = {}
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        limit = self.max_object_bytes
        with target.open("wb") as out:
            if request.content_type == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader):
                        continue
                    if part.filename is None:
                        form[part.name or ""] = await part.text()
                        continue
                    content_type = part.headers.get("Content-Type", content_type)
                    while chunk := await part.read_chunk(CHUNK):
                        size += len(chunk)
                        if self._cut(request, size):
                            return web.Response(status=500)  # never reaches the client
                        digest.update(chunk)
                        out.write(chunk)
                    form[part.name or "file"] = {
                        "filename": part.filename,
                        "content_type": content_type,
                        "size": size,
                    }
                cache_control = str(form.get("cacheControl", cache_control))
            else:
                async for chunk in request.content.iter_chunked(CHUNK):
                    size += len(chunk)
                    if self._cut(request, size):
                        return web.Response(status=500)
                    digest.update(chunk)
                    out.write(chunk)
        rec.form = form
        if limit is not None and size > limit:
            target.unlink()
            return storage_error(
                "413", "Payload too large", "The object exceeded the maximum allowed size"
            )
        return StoredObject(target, content_type, size, f'"{digest.hexdigest()}"', cache_control)

    def _cut(self, request: web.Request, size: int) -> bool:
        if self.drop_upload_after is None or size < self.drop_upload_after:
            return False
        if request.transport is not None:
            request.transport.close()
        return True

    def _object_or_error(self, bucket: str, path: str) -> StoredObject | web.Response:
        missing = self._bucket_or_error(bucket)
        if missing is not None:
            return missing
        found = self.objects.get((bucket, path))
        if found is None:
            return storage_error("404", "not_found", "Object not found")
        return found

    async def _serve(self, request: web.Request, obj: StoredObject) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": obj.content_type,
                "Content-Length": str(obj.size),
                "ETag": obj.etag,
                "Cache-Control": f"max-age={obj.cache_control}",
            }
        )
        await response.prepare(request)
        with obj.file.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response

    async def _download(self, request: web.Request) -> web.StreamResponse:
        async def answer() -> web.StreamResponse:
            found = self._object_or_error(request.match_info["bucket"], request.match_info["path"])
            if isinstance(found, web.Response):
                return found
            return await self._serve(request, found)

        return await self.create_call(request, answer)

    async def _info(self, request: web.Request) -> web.StreamResponse:
        async def answer() -> web.StreamResponse:
            bucket, path = request.match_info["bucket"], request.match_info["path"]
            found = self._object_or_error(bucket, path)
            if isinstance(found, web.Response):
                return found
            return web.json_response(
                {
                    "id": found.id,
                    "name": path,
                    "bucket_id": bucket,
                    "size": found.size,
                    "content_type": found.content_type,
                    "etag": found.etag,
                    "cache_control": found.cache_control,
                    "created_at": found.created_at,
                    "last_modified": found.created_at,
                }
            )

        return await self.create_call(request, answer)

    async def _sign(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORDED].json or {}

        async def answer() -> web.StreamResponse:
            bucket, path = request.match_info["bucket"], request.match_info["path"]
            found = self._object_or_error(bucket, path)
            if isinstance(found, web.Response):
                return found
            try:
                expires_in = int(body.get("expiresIn", ""))
            except ValueError:
                return storage_error("400", "Bad Request", "expiresIn must be an integer")
            expires = int(time.time()) + expires_in
            token = self._token(bucket, path, expires)
            return web.json_response({"signedURL": f"/object/sign/{bucket}/{path}?token={token}"})

        return await self.create_call(request, answer)

    async def _signed_download(self, request: web.Request) -> web.StreamResponse:
        bucket, path = request.match_info["bucket"], request.match_info["path"]
        token = request.query.get("token", "")
        expires_text, _, _ = token.partition(".")
        try:
            expires = int(expires_text)
        except ValueError:
            return storage_error("400", "InvalidJWT", "jwt malformed")
        if not hmac.compare_digest(token, self._token(bucket, path, expires)):
            return storage_error("400", "InvalidJWT", "invalid signature")
        if expires < time.time():
            return storage_error("400", "InvalidJWT", "jwt expired")
        found = self._object_or_error(bucket, path)
        if isinstance(found, web.Response):
            return found
        return await self._serve(request, found)

    async def _remove(self, request: web.Request) -> web.StreamResponse:
        body = request[RECORDED].json or {}

        async def answer() -> web.StreamResponse:
            bucket = request.match_info["bucket"]
            missing = self._bucket_or_error(bucket)
            if missing is not None:
                return missing
            removed = []
            for prefix in body.get("prefixes", []):
                obj = self.objects.pop((bucket, str(prefix)), None)
                if obj is not None:
                    obj.file.unlink(missing_ok=True)
                    removed.append({"name": prefix, "bucket_id": bucket, "id": obj.id})
            return web.json_response(removed)

        return await self.create_call(request, answer)


FakeSupabase = FakeSupabaseStorage


async def _json(value: Any) -> web.StreamResponse:
    return web.json_response(value)


if __name__ == "__main__":
    argv = sys.argv[1:]
    key = SERVICE_KEY
    if "--key" in argv:
        at = argv.index("--key")
        key = argv[at + 1]
        del argv[at : at + 2]
    run_main(FakeSupabaseStorage(key), argv)
