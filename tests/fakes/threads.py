"""A fake Threads API (graph.threads.net): containers, publishing, and Meta's token endpoints.

Posting answers like ``tests.fakes.facebook`` (the same Graph error shape and throttling).
Tokens: the code exchange (``FakeAuthServer(shape="threads")``) gives a short-lived token;
``GET /access_token?grant_type=th_exchange_token`` trades it for a long-lived one (60 days,
``expires_in`` 5184000); ``GET /refresh_access_token?grant_type=th_refresh_token`` renews a
long-lived token that is at least 24 hours old and not expired, as Threads documents. A refused
exchange or refresh is 400 with OAuthException 190. ``age()`` moves a token's issue time back so
tests need not wait a day; ``refuse_refresh`` is the person having removed the app.

Posts (Threads Posts, Text Attachments and Accessibility docs, developers.facebook.com/docs/
threads, read 2026-12-07): ``text`` is limited to 500 characters with each emoji counted as its
UTF-8 bytes; more than 5 unique links fails container creation with
``THREADS_API__LINK_LIMIT_EXCEEDED`` (since 2025-12-22); ``alt_text`` is taken on image and video
containers, not on text-only posts; ``reply_to_id`` (the parts of a thread, a first comment)
must name a published post, else code 100.

Run alone with ``python -m tests.fakes.threads --port N``.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from datetime import date
from typing import ClassVar

from aiohttp import web

from tests.fakes.base import run_main
from tests.fakes.facebook import GraphFake, graph_error

LONG_LIVED_SECONDS = 5_184_000  # 60 days
MAX_TEXT, MAX_LINKS = 500, 5
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def counted(text: str) -> int:
    """Threads' count: a character is 1, an emoji (pictographic, or its joiner) its UTF-8 bytes."""
    total = 0
    for char in text:
        emoji = unicodedata.category(char) == "So" or char in "\u200d\ufe0f" or ord(char) > 0x1F000
        total += len(char.encode("utf-8")) if emoji else 1
    return total


REFRESH_MIN_AGE = 86_400.0  # a long-lived token can be refreshed once a day old


class FakeThreads(GraphFake):
    """One Threads profile (``user_id``) on ``graph.threads.net``."""

    name = "threads"
    # Threads has served one version since launch.
    versions: ClassVar[dict[str, date | None]] = {"v1.0": None}
    throttle_code = 4

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.user_id, self.username = "2600000000001", "acme.threads"
        self.tokens = {"threads-token"}
        self.long_lived["threads-token"] = time.time()
        self.expires_at: dict[str, float] = {}
        self.refuse_refresh = False
        self.exchanges = 0
        self.refreshes = 0

    def add_routes(self, app: web.Application) -> None:
        """Token routes at the root, API routes under ``/v1.0``."""
        app.router.add_get("/access_token", self._exchange)
        app.router.add_get("/refresh_access_token", self._refresh)
        v = "/{version:v[0-9]+[.][0-9]+}"
        app.router.add_get(v + "/me", self._me)
        app.router.add_get(v + "/{id}/threads", self._list)
        app.router.add_post(v + "/{id}/threads", self._create_container)
        app.router.add_post(v + "/{id}/threads_publish", self._publish_route)
        app.router.add_get(v + "/{id}", self._get_object)

    # --- tokens ----------------------------------------------------------------------------

    def age(self, token: str, seconds: float) -> None:
        """Pretend ``token`` was issued ``seconds`` earlier (it also expires that much sooner)."""
        self.long_lived[token] -= seconds
        if token in self.expires_at:
            self.expires_at[token] -= seconds

    def _token(self, request: web.Request) -> str | None:
        token = super()._token(request)
        if token is not None and self.expires_at.get(token, float("inf")) < time.time():
            self.expire(token)
            return None
        return token

    def _long_lived_answer(self) -> web.Response:
        token = self.issue_long_lived("th-ll")
        self.expires_at[token] = time.time() + LONG_LIVED_SECONDS
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS}
        )

    async def _exchange(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("grant_type") != "th_exchange_token":
            body = graph_error(100, "Unsupported grant_type, expected th_exchange_token")
            return web.json_response(body, status=400)
        refused = self._client_refused(query, with_id=False)
        if refused is not None:
            return refused
        if self._token(request) is None:
            return self._bad_token(request)
        self.exchanges += 1
        return self._long_lived_answer()

    async def _refresh(self, request: web.Request) -> web.Response:
        self.refreshes += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if request.query.get("grant_type") != "th_refresh_token":
            body = graph_error(100, "Unsupported grant_type, expected th_refresh_token")
            return web.json_response(body, status=400)
        token = self._token(request)
        if token is None:
            return self._bad_token(request)
        if self.refuse_refresh:
            message = "Error validating access token: The user has not authorized application."
            return web.json_response(graph_error(190, message, subcode=458), status=400)
        issued = self.long_lived.get(token)
        if issued is None or time.time() - issued < REFRESH_MIN_AGE:
            message = "Only long-lived tokens at least 24 hours old can be refreshed"
            return web.json_response(graph_error(190, message), status=400)
        return self._long_lived_answer()

    # --- posting ---------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return self._bad_token(request)
        return web.json_response({"id": self.user_id, "username": self.username})

    def _mine(self, request: web.Request) -> web.Response | None:
        if self._token(request) is None:
            return self._bad_token(request)
        if request.match_info["id"] not in (self.user_id, "me"):
            return web.json_response(graph_error(10, "(#10) Permission denied"), status=403)
        return None

    async def _list(self, request: web.Request) -> web.Response:
        return self._mine(request) or self._recent(self.user_id, request)

    async def _create_container(self, request: web.Request) -> web.Response:
        refused = self._mine(request)
        if refused is not None:
            return refused
        fields = self._fields(request)
        kind = fields.get("media_type")
        if kind not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            return web.json_response(graph_error(100, "Invalid media_type"), status=400)
        if kind == "TEXT" and not fields.get("text"):
            return web.json_response(graph_error(100, "Text is required"), status=400)
        text = str(fields.get("text", ""))
        if counted(text) > MAX_TEXT:
            body = graph_error(100, f"(#100) The text is longer than {MAX_TEXT} characters")
            return web.json_response(body, status=400)
        found = {m.group(0).rstrip(".,;:!?)").lower() for m in _URL.finditer(text)}
        if len(found) > MAX_LINKS:
            body = graph_error(100, "THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at "
                                    f"most {MAX_LINKS} links")  # fmt: skip
            return web.json_response(body, status=400)
        if fields.get("alt_text") and kind not in ("IMAGE", "VIDEO"):
            body = graph_error(100, "alt_text is only supported for image and video posts")
            return web.json_response(body, status=400)
        reply_to = fields.get("reply_to_id")
        if reply_to and self.objects.get(str(reply_to), {}).get("kind") != "post":
            # Posts doc (reply_to_id): a reply names a Threads post that exists.
            body = graph_error(100, "(#100) The post you are replying to does not exist")
            return web.json_response(body, status=400)
        return self._container(self.user_id, fields)

    async def _publish_route(self, request: web.Request) -> web.StreamResponse:
        return self._mine(request) or await self._publish_container(request, self.user_id, "text")


if __name__ == "__main__":
    run_main(FakeThreads())
