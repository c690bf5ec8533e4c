"""A fake Bluesky PDS: sessions, blobs, records and handle resolution, shaped by the lexicons.

putRecord with ``swapRecord: null`` on a key that exists answers 400 InvalidSwap, as the PDS
does; ``com.atproto.identity.resolveHandle`` (not among the trimmed lexicons) answers
``{"did"}`` for the handles in ``known_handles`` and 400 "Unable to resolve handle" otherwise.
A record's embed is checked against the lexicons (``tests.fakes.lexicon``), blobs included.
``com.atproto.server.getSession`` answers ``{handle, did, active}`` for a live access JWT
(lexicon com/atproto/server/getSession.json, read 2026-12-07) and the usual ExpiredToken /
InvalidToken errors otherwise. ``com.atproto.server.getServiceAuth`` mints service tokens;
the video service fake (``tests.fakes.bluesky_video``) spends one to store a processed video
here, as the real one calls ``uploadBlob`` with it: the token must name this PDS
(``did:web:`` of its host) as audience, ``com.atproto.repo.uploadBlob`` as method, and not
have expired.

Facets: like the PDS, a record whose facet byte range falls outside its UTF-8 text or splits a
character is refused. The PDS stores a facet that covers the wrong text (it cannot tell), but
the app then links the wrong characters; ``facet_mismatches`` lists such link facets, judged
by the rich-text rules of docs.bsky.app "Links, mentions, and rich text" (read 2026-12-07):
a link facet covers exactly its link as typed, ``https://`` added only to a bare domain.

Run alone with ``python -m tests.fakes.bluesky --port N``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import grapheme
import jsonschema
from aiohttp import web

from tests.fakes.base import RECORDED, FakeServer, run_main
from tests.fakes.lexicon import definition
from tests.fakes.lexicon import problem as lexicon_problem

LEXICONS = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "bluesky"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
POST = "app.bsky.feed.post"
MAX_BLOB = 2_000_000  # app.bsky.embed.images#image maxSize
UPLOAD_BLOB = "com.atproto.repo.uploadBlob"
MAX_SERVICE_TOKEN_SECONDS = 3600  # the PDS refuses longer-lived method-bound service tokens


@cache
def input_schema(nsid: str) -> dict[str, Any]:
    """The JSON input schema of procedure ``nsid`` (lexicon types mapped to JSON Schema)."""
    lexicon = json.loads((LEXICONS / f"{nsid}.json").read_text())
    schema = dict(lexicon["defs"]["main"]["input"]["schema"])
    props = {k: {"type": ["string", "null"]} if k in schema.get("nullable", []) else
             ({} if v.get("type") in ("unknown", "ref") else {"type": v["type"]})
             for k, v in schema["properties"].items()}  # fmt: skip
    return {"type": "object", "required": schema.get("required", []), "properties": props}


def cid_for(data: bytes) -> str:
    """A CIDv1-looking string (base32, "bafyrei" prefix) for ``data``."""
    digest = base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")
    return "bafyrei" + digest[:52]


def _tid() -> str:
    """A fresh TID (microseconds since the epoch and a clock id, base32-sortable), as a PDS
    gives a createRecord without ``rkey``."""
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[(value >> (5 * n)) & 31] for n in reversed(range(13)))


class FakeBluesky(FakeServer):
    """One PDS with one account (``handle``/``did``) and its app password."""

    name = "bluesky"
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"}),
        "401": (401, {"error": "InvalidToken", "message": "Token could not be verified"}),
        "403": (403, {"error": "Forbidden", "message": "Bad token scope"}),
        "422": (400, {"error": "InvalidRequest", "message": "Record/text must not be longer"}),
        "500": (500, {"error": "InternalServerError", "message": "Internal Server Error"}),
        "503": (503, {"error": "UpstreamFailure", "message": "Upstream Failure"}),
    }

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.handle = "outpost.bsky.social"
        self.did = "did:plc:outpostfake0000000000000"
        self.password = "abcd-efgh-ijkl-mnop"
        self.known_handles: dict[str, str] = {
            "alice.bsky.social": "did:plc:alice000000000000000000"
        }
        self.access: set[str] = set()
        self.expired: set[str] = set()
        self.refresh: set[str] = set()
        self.records: dict[str, dict[str, Any]] = {}  # rkey -> {uri, cid, value}
        self.blobs: dict[str, dict[str, Any]] = {}
        self.service_tokens: dict[str, dict[str, Any]] = {}
        self._created: list[str] = []

    def created_keys(self) -> list[str]:
        """The record key of each post created, in order."""
        return list(self._created)

    def facet_mismatches(self) -> list[str]:
        """Link facets of stored posts whose byte range does not hold their link."""
        out = []
        for key in self._created:
            value = self.records[key]["value"]
            raw = str(value.get("text", "")).encode()
            for facet in value.get("facets", []):
                index = facet["index"]
                covered = raw[index["byteStart"] : index["byteEnd"]].decode("utf-8", "replace")
                for feature in facet["features"]:
                    uri = feature.get("uri")
                    if uri is not None and uri not in (covered, f"https://{covered}"):
                        out.append(f"{covered!r} linked as {uri!r}")
                    elif uri is not None and covered[-1:] in ".,;:!?":
                        out.append(f"{covered!r} ends in punctuation")
        return out

    def uris(self) -> list[str]:
        """The at:// URI of each post created, in order."""
        return [self.records[k]["uri"] for k in self._created]

    def reset(self) -> None:
        """Forget records, blobs, sessions and recordings."""
        super().reset()
        for store in (self.access, self.expired, self.refresh, self.records, self.blobs,
                      self.service_tokens):  # fmt: skip
            store.clear()
        self._created.clear()

    def expire_sessions(self) -> None:
        """Every access JWT handed out so far answers ExpiredToken from now on."""
        self.expired |= self.access

    def revoke(self) -> None:
        """Refresh tokens stop working and the app password is deleted."""
        self.refresh.clear()
        self.expire_sessions()
        self.password = ""

    def state(self) -> dict[str, Any]:
        """Recording plus records and blobs."""
        return {**super().state(), "records": self.records, "blobs": self.blobs}

    def add_routes(self, app: web.Application) -> None:
        """XRPC routes."""
        r = app.router
        r.add_post("/xrpc/com.atproto.server.createSession", self._create_session)
        r.add_post("/xrpc/com.atproto.server.refreshSession", self._refresh_session)
        r.add_get("/xrpc/com.atproto.server.getSession", self._get_session)
        r.add_get("/xrpc/com.atproto.server.getServiceAuth", self._service_auth)
        r.add_post("/xrpc/com.atproto.repo.uploadBlob", self._upload_blob)
        r.add_post("/xrpc/com.atproto.repo.putRecord", self._put_record)
        r.add_post("/xrpc/com.atproto.repo.createRecord", self._put_record)
        r.add_get("/xrpc/com.atproto.repo.getRecord", self._get_record)
        r.add_get("/xrpc/com.atproto.identity.resolveHandle", self._resolve_handle)

    # --- plumbing --------------------------------------------------------------------------

    def xrpc_error(self, status: int, error: str, message: str) -> web.Response:
        """An XRPC error body."""
        return web.json_response({"error": error, "message": message}, status=status)

    def _whole_second_window(self, until: float) -> int:
        """The window ends on the whole epoch second the header names, as on the real API."""
        second = round(until)
        if self.rate_limited_until == until:
            self.rate_limited_until = float(second)
            if self.rate_limit_windows and self.rate_limit_windows[-1] == until:
                self.rate_limit_windows[-1] = float(second)
        return second

    def rate_limit_response(self, until: float) -> web.Response:
        """429 with ``ratelimit-reset`` in epoch seconds, like the PDS."""
        headers = {"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                   "ratelimit-reset": str(self._whole_second_window(until)),
                   "ratelimit-policy": "5000;w=3600"}  # fmt: skip
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        return web.json_response(body, status=429, headers=headers)

    def _auth(self, request: web.Request, pool: set[str]) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if not token:
            return self.xrpc_error(401, "AuthMissing", "Authentication Required")
        if token in self.expired:
            return self.xrpc_error(400, "ExpiredToken", "Token has expired")
        if token not in pool:
            return self.xrpc_error(401, "InvalidToken", "Token could not be verified")
        return None

    def _new_session(self) -> web.Response:
        access, refresh = "acc-" + secrets.token_hex(12), "ref-" + secrets.token_hex(12)
        self.access.add(access)
        self.refresh.add(refresh)
        did_doc = {"id": self.did, "alsoKnownAs": [f"at://{self.handle}"],
                   "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                "serviceEndpoint": self.url}]}  # fmt: skip
        return web.json_response({"accessJwt": access, "refreshJwt": refresh, "handle": self.handle,
                                  "did": self.did, "didDoc": did_doc, "active": True})  # fmt: skip

    async def _get_session(self, request: web.Request) -> web.Response:
        refused = self._auth(request, self.access)
        if refused is not None:
            return refused
        return web.json_response({"handle": self.handle, "did": self.did, "active": True})

    def did_web(self) -> str:
        """This PDS's service DID: ``did:web:`` and its host (a port's colon percent-encoded)."""
        return "did:web:" + urlsplit(self.url).netloc.replace(":", "%3A")

    async def _service_auth(self, request: web.Request) -> web.Response:
        refused = self._auth(request, self.access)
        if refused is not None:
            return refused
        query = request.query
        if not query.get("aud", "").startswith("did:"):
            return self.xrpc_error(400, "InvalidRequest", "Params must have the property aud")
        exp = float(query.get("exp") or time.time() + 60)
        if exp - time.time() > MAX_SERVICE_TOKEN_SECONDS or exp < time.time():
            return self.xrpc_error(400, "BadExpiration", "expiration too far in the future")
        token = "svc-" + secrets.token_hex(12)
        self.service_tokens[token] = {"aud": query["aud"], "lxm": query.get("lxm"), "exp": exp,
                                      "iss": self.did}  # fmt: skip
        return web.json_response({"token": token})

    def store_with_service_token(
        self, token: str, data: bytes, mime: str
    ) -> dict[str, Any] | tuple[int, str, str]:
        """uploadBlob as a service calls it: the blob, or (status, error, message)."""
        grant = self.service_tokens.get(token)
        if grant is None:
            return 401, "InvalidToken", "jwt signature does not match jwt issuer"
        if grant["aud"] != self.did_web():
            return 401, "InvalidToken", f"jwt audience does not match service did: {grant['aud']}"
        if grant["lxm"] != UPLOAD_BLOB:
            return 401, "InvalidToken", "bad jwt lexicon method (lxm)"
        if grant["exp"] < time.time():
            return 400, "ExpiredToken", "jwt expired"
        cid = cid_for(data)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}
        self.blobs[cid] = blob
        return blob

    def _invalid(self, nsid: str, body: Any) -> web.Response | None:
        errors = [
            e.message for e in jsonschema.Draft202012Validator(input_schema(nsid)).iter_errors(body)
        ]
        if errors:
            return self.xrpc_error(400, "InvalidRequest", "; ".join(errors))
        return None

    # --- sessions --------------------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        body = request[RECORDED].json
        invalid = self._invalid("com.atproto.server.createSession", body)
        if invalid is not None:
            return invalid
        if (
            body["identifier"] not in (self.handle, self.did)
            or not self.password
            or body["password"] != self.password
        ):
            return self.xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._new_session()

    async def _refresh_session(self, request: web.Request) -> web.Response:
        refused = self._auth(request, self.refresh)
        if refused is not None:
            return refused
        self.refresh.discard(request.headers["Authorization"][7:])  # refresh tokens rotate
        return self._new_session()

    # --- blobs and records -----------------------------------------------------------------

    async def _upload_blob(self, request: web.Request) -> web.Response:
        refused = self._auth(request, self.access)
        if refused is not None:
            return refused
        data = request[RECORDED].body
        cid = cid_for(data)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": request.content_type,
                "size": len(data)}  # fmt: skip
        self.blobs[cid] = blob
        return web.json_response({"blob": blob})

    def _record_problem(self, record: Any) -> str | None:
        if not isinstance(record, dict) or record.get("$type") != POST:
            return "record/$type must be app.bsky.feed.post"
        text = record.get("text")
        if not isinstance(text, str) or not isinstance(record.get("createdAt"), str):
            return 'Record must have the property "text" and "createdAt"'
        raw = text.encode()
        if grapheme.length(text) > 300 or len(raw) > 3000:
            return "Record/text must not be longer than 300 graphemes"
        for facet in record.get("facets", []):
            index = facet.get("index", {})
            start, end = index.get("byteStart", -1), index.get("byteEnd", -1)
            if not 0 <= start < end <= len(raw):
                return "Record/facets byte range out of bounds"
            try:
                raw[start:end].decode()
            except UnicodeDecodeError:
                return "Record/facets byte range splits a character"
        embed = record.get("embed")
        if embed is not None:
            _, post = definition(POST)
            union = post["record"]["properties"]["embed"]
            found = lexicon_problem(embed, union, "Record/embed", POST, self.blobs)
            if found:
                return found
        if embed is not None and embed.get("$type") == "app.bsky.embed.images":
            images = embed.get("images", [])
            if not 1 <= len(images) <= 4:
                return "Record/embed/images must hold 1 to 4 images"
            for image in images:
                blob = self.blobs.get(image.get("image", {}).get("ref", {}).get("$link", ""))
                if blob is None or "alt" not in image:
                    return "Record/embed/images: unknown blob or missing alt"
                if blob["size"] > MAX_BLOB or not blob["mimeType"].startswith("image/"):
                    return f"Record/embed/images: blob over {MAX_BLOB} bytes or not an image"
        reply = record.get("reply")
        if reply is not None:
            uris = {r["uri"] for r in self.records.values()}
            if reply["root"]["uri"] not in uris or reply["parent"]["uri"] not in uris:
                return "Record/reply refers to a missing post"
        return None

    async def _put_record(self, request: web.Request) -> web.StreamResponse:
        refused = self._auth(request, self.access)
        if refused is not None:
            return refused
        body = request[RECORDED].json
        nsid = request.path.rsplit("/", 1)[-1]
        invalid = self._invalid(nsid, body)
        if invalid is not None:
            return invalid
        if body["repo"] not in (self.did, self.handle) or body["collection"] != POST:
            return self.xrpc_error(400, "InvalidRequest", "Could not find repo or collection")
        rkey = str(body.get("rkey") or _tid())
        if not TID.match(rkey):
            return self.xrpc_error(400, "InvalidRequest", "Invalid TID record key")
        problem = self._record_problem(body["record"])
        if problem:
            return self.xrpc_error(
                400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}"
            )
        create_only = nsid.endswith("createRecord") or (
            "swapRecord" in body and body["swapRecord"] is None
        )
        answer: dict[str, Any] = {}

        async def create() -> web.StreamResponse:
            if rkey in self.records and create_only:
                return self.xrpc_error(
                    400, "InvalidSwap", f"Record was at {self.records[rkey]['cid']}"
                )
            uri = f"at://{self.did}/{POST}/{rkey}"
            cid = cid_for(json.dumps(body["record"], sort_keys=True).encode())
            if rkey not in self.records:
                self._created.append(rkey)
            self.records[rkey] = {"uri": uri, "cid": cid, "value": body["record"]}
            answer.update(uri=uri, cid=cid, commit={"cid": cid_for(uri.encode()), "rev": rkey},
                          validationStatus="valid")  # fmt: skip
            return web.json_response(answer)

        return await self.create_call(request, create)

    async def _get_record(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("repo") not in (self.did, self.handle) or query.get("collection") != POST:
            return self.xrpc_error(400, "InvalidRequest", "Could not locate record")
        record = self.records.get(query.get("rkey", ""))
        if record is None:
            return self.xrpc_error(400, "RecordNotFound", "Could not locate record")
        return web.json_response(record)

    async def _resolve_handle(self, request: web.Request) -> web.Response:
        handle = request.query.get("handle", "").lower()
        did = self.did if handle == self.handle else self.known_handles.get(handle)
        if did is None:
            return self.xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return web.json_response({"did": did})


if __name__ == "__main__":
    run_main(FakeBluesky())
