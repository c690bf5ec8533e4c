"""Fake Graph API: Facebook Pages and Instagram (graph.facebook.com); the base of the Threads fake.

Both answer like Meta: ids as strings, errors as ``{"error": {"message", "type", "code",
"fbtrace_id"}}`` with the meaning in ``code`` (190 bad token, 200 missing permission, 32/4
throttled, 506 duplicate), throttling announced in ``X-Business-Use-Case-Usage`` /
``X-App-Usage``. Page videos are created from ``file_url`` and answer ``{"id"}``; the video
node names its ``post_id`` and a relative ``permalink_url``. One liberty:
``estimated_time_to_regain_access`` is given in fractional minutes (Meta rounds to whole ones)
so tests need not wait a minute. Media is by URL for Instagram, Threads and Page videos
(recorded, never fetched) and multipart ``source`` for Page photos. The Page and the
Instagram user read as nodes (``GET /{page-id}?fields=id,name``, ``/{ig-user-id}?fields=
id,username``; Page and IG User references, read 2026-12-07) with a valid token, else 190.
``X-Outpost-Idempotency-Key`` is not a Meta header; the fakes record it to tie creations to
destinations.

API versions (Graph API changelog, developers.facebook.com/docs/graph-api/changelog, read
2026-12-07): every path starts with a version; one past its "available until" date on the fake's
``today`` is refused with Graph error 12 (deprecated API: "no longer usable", Platform
Versioning), and one Meta never released with 2500 "Unknown path components". Instagram (IG User
Media reference, Error Codes, Content Publishing, read 2026-12-07): a carousel item must be
``IMAGE``/``VIDEO`` (a ``REELS`` item is refused: reels cannot be carousel items); ``alt_text``
is taken on images only; publishing past ``publish_limit`` posts in 24 hours answers code 9,
subcode 2207042, and ``/content_publishing_limit`` reports the usage. Page photos take
``alt_text_custom`` (Photo reference).

Token lifetimes are modelled: a user token from the login (``FakeAuthServer(shape="facebook")``)
is short-lived; ``GET /{version}/oauth/access_token?grant_type=fb_exchange_token`` trades it for a
long-lived one; ``/me/accounts`` lists a Page token that never expires only for a long-lived
user token, and one that dies with the user token otherwise. ``expire_short_lived()`` is the
hour passing: those tokens then answer 190 / subcode 463 "Session has expired".

Comments (Graph API reference "Object Comments" for Page posts, and Instagram's IG Media
Comments, read 2026-12-07): ``POST /{post-id}/comments`` with ``message`` answers ``{"id"}``;
a Page post is commented on as the Page (a Page token), an Instagram media by its account. A
post that does not exist is code 100 "Unsupported post request. Object does not exist"; an
empty message is code 100 "Missing message". ``GET /{post-id}/comments`` lists them (Page:
``id``, ``message``, ``from``; Instagram: ``id``, ``text``, ``username``, ``timestamp``).
``comments`` records each one for tests.

Run alone with ``python -m tests.fakes.facebook --port N``.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes import instagram as ig
from tests.fakes.base import RECORDED, FakeServer, run_main


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(
    code: int, message: str, kind: str = "OAuthException", subcode: int | None = None
) -> dict[str, Any]:
    """Meta's error body."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": {**error, "fbtrace_id": "AbCdEf"}}


# Graph versions and the day each stops being served (None: not announced yet).
GRAPH_VERSIONS: dict[str, date | None] = {
    "v19.0": date(2026, 5, 21), "v20.0": date(2026, 9, 24), "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20), "v23.0": date(2027, 10, 8), "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29), "v26.0": None,
}  # fmt: skip
TODAY = date(2026, 12, 7)
_VERSIONED = re.compile(r"^/(v\d+\.\d+)/")
EXPIRED = "Error validating access token: Session has expired on Thursday, 01-May-25 10:00:00 PDT."


class GraphFake(FakeServer):
    """Shared plumbing: tokens, error shape, throttling headers, created-key recording."""

    versions: ClassVar[dict[str, date | None]] = GRAPH_VERSIONS
    throttle_code = 32
    error_bodies: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {
        "400": (400, graph_error(100, "(#100) Invalid parameter")),
        # Graph reports a dead token as a 400 with code 190, not a 401.
        "401": (400, graph_error(190, "Error validating access token: Session has expired")),
        "403": (403, graph_error(200, "(#200) Requires pages_manage_posts permission")),
        "422": (400, graph_error(100, "(#100) Param message must be a string")),
        "500": (500, graph_error(1, "An unknown error has occurred.")),
        "503": (503, graph_error(2, "Service temporarily unavailable")),
    }

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.tokens: set[str] = set()
        self.client_id, self.client_secret = "outpost-client", "outpost-secret"
        self.long_lived: dict[str, float] = {}  # token -> when it was issued
        self.permanent: set[str] = set()  # tokens that never expire (Page tokens)
        self.expired: set[str] = set()
        self.objects: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        self.container_polls = 1  # status reads answered IN_PROGRESS before FINISHED
        self.today = TODAY
        self.versions_seen: list[str] = []
        self._created_keys: list[str] = []
        self._ids = itertools.count(17_900_000_000_000_001)

    def created_keys(self) -> list[str]:
        """The recorded key of each published post, in order."""
        return list(self._created_keys)

    def make_app(self) -> web.Application:
        """The base app, with the version gate after the recording middleware."""
        app = super().make_app()
        app.middlewares.append(self._version_gate)
        return app

    @web.middleware
    async def _version_gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        found = _VERSIONED.match(request.path)
        if found is None:
            return await handler(request)  # Threads' token routes are unversioned
        version = found.group(1)
        self.versions_seen.append(version)
        if version not in self.versions:
            body = graph_error(2500, f"Unknown path components: /{version}", "OAuthException")
            return web.json_response(body, status=400)
        until = self.versions[version]
        if until is not None and until <= self.today:
            message = f"(#12) Graph API {version} is deprecated and no longer available"
            return web.json_response(graph_error(12, message, "GraphMethodException"), status=400)
        return await handler(request)

    def reset(self) -> None:
        """Forget posts, objects and recordings."""
        super().reset()
        self.objects.clear()
        self.posts.clear()
        self._created_keys.clear()

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """Meta's error shape, code 100 unless the message names another."""
        return web.json_response(graph_error(100, message), status=status, headers=headers)

    def rate_limit_response(self, until: float) -> web.Response:
        """Throttled: the code in the body, the wait in the usage header (minutes)."""
        minutes = max(0.0, until - time.time()) / 60
        usage = {"type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60}
        usage["estimated_time_to_regain_access"] = round(minutes, 4)
        header = json.dumps({"1": [usage]})
        body = graph_error(self.throttle_code, "(#32) Page request limit reached")
        return web.json_response(body, status=400, headers={"X-Business-Use-Case-Usage": header})

    def _new_id(self) -> str:
        return str(next(self._ids))

    @staticmethod
    def _presented(request: web.Request) -> str:
        auth = request.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else request.query.get("access_token", "")

    def _token(self, request: web.Request) -> str | None:
        token = self._presented(request)
        return token if token in self.tokens and token not in self.expired else None

    def _bad_token(self, request: web.Request | None = None) -> web.Response:
        if request is not None and self._presented(request) in self.expired:
            return self.token_error(expired=True)
        return self.token_error()

    @staticmethod
    def token_error(*, expired: bool = False) -> web.Response:
        """Graph's answer to a dead token: 400, code 190 (subcode 463 when it expired)."""
        if expired:
            return web.json_response(graph_error(190, EXPIRED, subcode=463), status=400)
        body = graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return web.json_response(body, status=400)

    def issue_long_lived(self, prefix: str) -> str:
        """A new long-lived user token, accepted from now on."""
        token = f"{prefix}-{next(self._ids)}"
        self.tokens.add(token)
        self.long_lived[token] = time.time()
        return token

    def expire(self, token: str) -> None:
        """``token`` answers 190 / 463 from now on."""
        self.expired.add(token)

    def expire_short_lived(self) -> None:
        """An hour or two passes: every token neither long-lived nor permanent expires."""
        for token in self.tokens - set(self.long_lived) - self.permanent:
            self.expire(token)

    def _client_refused(self, query: Any, *, with_id: bool = True) -> web.Response | None:
        wrong_id = with_id and query.get("client_id") != self.client_id
        if wrong_id or query.get("client_secret") != self.client_secret:
            body = graph_error(1, "Error validating client secret.")
            return web.json_response(body, status=400)
        return None

    def _fields(self, request: web.Request) -> dict[str, Any]:
        rec = request[RECORDED]
        return {**dict(request.query), **(rec.form or {})}

    def _publish(self, request: web.Request, post: dict[str, Any]) -> dict[str, Any]:
        post.setdefault("id", self._new_id())
        post["created_time"] = _stamp(time.time())
        post["permalink"] = post["permalink_url"] = f"{self.url}/p/{post['id']}"
        self.posts.append(post)
        self.objects[post["id"]] = {**post, "kind": "post"}
        self._created_keys.append(request.headers.get("X-Outpost-Idempotency-Key", ""))
        return post

    async def _get_object(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return self._bad_token(request)
        obj = self.objects.get(request.match_info["id"])
        if obj is None:
            body = graph_error(100, "Unsupported get request. Object does not exist")
            return web.json_response(body, status=400)
        if obj["kind"] == "container" and obj["status"] == "IN_PROGRESS":
            obj["_polls"] -= 1
            if obj["_polls"] < 0:
                obj["status"] = "FINISHED"
        wanted = request.query.get("fields", "id").split(",")
        out = {k: obj[k] for k in wanted if k in obj}
        out["status_code"] = obj.get("status") if "status_code" in wanted else None
        return web.json_response({k: v for k, v in out.items() if v is not None})

    def _container(self, owner: str, fields: dict[str, Any]) -> web.Response:
        container = {"id": self._new_id(), "kind": "container", "owner": owner, **fields}
        # Text containers are ready at once; media is fetched and processed first.
        ready = not self.container_polls or fields.get("media_type") == "TEXT"
        container["status"] = "FINISHED" if ready else "IN_PROGRESS"
        container["_polls"] = self.container_polls
        self.objects[container["id"]] = container
        return web.json_response({"id": container["id"]})

    async def _publish_container(
        self, request: web.Request, owner: str, text_field: str
    ) -> web.StreamResponse:
        container = self.objects.get(str(self._fields(request).get("creation_id", "")))
        if container is None or container.get("owner") != owner:
            return web.json_response(graph_error(100, "Invalid creation_id"), status=400)
        if container["status"] == "PUBLISHED":
            return web.json_response(graph_error(9007, "Media already published"), status=400)
        if container["status"] != "FINISHED":
            body = graph_error(9007, "The media is not ready for publishing, please wait")
            return web.json_response(body, status=400)

        async def create() -> web.StreamResponse:
            container["status"] = "PUBLISHED"
            post = {"owner": owner, text_field: container.get(text_field, "")}
            post["children"] = container.get("children", "")
            post["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
            return web.json_response({"id": self._publish(request, post)["id"]})

        return await self.create_call(request, create)

    def _recent(self, owner: str, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "25"))
        mine = [p for p in reversed(self.posts) if p.get("owner") == owner][:limit]
        return web.json_response({"data": mine, "paging": {}})


class FakeGraph(GraphFake):
    """One Page (``page_id``) with a linked Instagram business account (``ig_id``)."""

    name = "facebook"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.page_id, self.ig_id = "1001", "17841400000000001"
        self.page_token, self.user_token = "page-token", "fb-user-token"
        self.tokens = {self.page_token, self.user_token}
        self.long_lived[self.user_token] = time.time()
        self.permanent.add(self.page_token)
        self.page_tokens = {self.page_token}
        self.exchanges = 0
        self.publish_limit = ig.PUBLISH_LIMIT
        self.ig_server_errors = 0  # container creations answered "-1 / 2207001, try again"
        self.comments: list[dict[str, Any]] = []
        self.ig_published: list[float] = []  # when each API-published post went out

    def add_routes(self, app: web.Application) -> None:
        """Graph routes under ``/{version}``."""
        v = "/{version:v[0-9]+[.][0-9]+}"
        app.router.add_get(v + "/oauth/access_token", self._exchange)
        app.router.add_get(v + "/me", self._me)
        app.router.add_get(v + "/me/accounts", self._me_accounts)
        app.router.add_get(v + "/{id}/{edge}", self._get_edge)
        app.router.add_post(v + "/{id}/{edge}", self._post_edge)
        app.router.add_get(v + "/{id}", self._get_node)

    async def _get_node(self, request: web.Request) -> web.Response:
        """The Page and the Instagram user read as nodes (``?fields=id,name`` / ``username``);
        anything else is an object this fake created (containers, posts)."""
        node = self._owner(request)
        profiles = {self.page_id: {"id": self.page_id, "name": "Acme"},
                    self.ig_id: {"id": self.ig_id, "username": "acme.corp"}}  # fmt: skip
        if node not in profiles:
            return await self._get_object(request)
        if self._token(request) is None:
            return self._bad_token(request)
        wanted = request.query.get("fields", "id").split(",")
        return web.json_response({k: v for k, v in profiles[node].items() if k in wanted})

    def _owner(self, request: web.Request) -> str:
        owner = request.match_info["id"]
        # With a Page token, "me" is the Page.
        return self.page_id if owner == "me" and self._token(request) in self.page_tokens else owner

    async def _exchange(self, request: web.Request) -> web.Response:
        """``fb_exchange_token``: a long-lived user token (~60 days) for a short-lived one."""
        query = request.query
        if query.get("grant_type") != "fb_exchange_token":
            body = graph_error(100, "(#100) Invalid grant_type; this fake knows fb_exchange_token")
            return web.json_response(body, status=400)
        refused = self._client_refused(query)
        if refused is not None:
            return refused
        short = query.get("fb_exchange_token", "")
        if short in self.expired:
            return self.token_error(expired=True)
        if short not in self.tokens or short in self.page_tokens:
            return self.token_error()
        self.exchanges += 1
        token = self.issue_long_lived("fb-ll")
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": 5_183_944}
        )

    async def _me(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return self._bad_token(request)
        return web.json_response({"id": "5550001", "name": "Ada Lovelace"})

    async def _me_accounts(self, request: web.Request) -> web.Response:
        user = self._token(request)
        if user is None or user in self.page_tokens:
            return self._bad_token(request)
        page_token = self.page_token
        if user not in self.long_lived:
            # A Page token from a short-lived user token expires with it.
            page_token = f"page-short-{next(self._ids)}"
            self.tokens.add(page_token)
            self.page_tokens.add(page_token)
        page = {
            "id": self.page_id, "name": "Acme Corp", "access_token": page_token,
            "category": "Company", "tasks": ["CREATE_CONTENT", "MANAGE"],
            "instagram_business_account": {"id": self.ig_id, "username": "acme.corp"},
        }  # fmt: skip
        return web.json_response({"data": [page], "paging": {}})

    async def _get_edge(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return self._bad_token(request)
        owner, edge = self._owner(request), request.match_info["edge"]
        if edge == "comments" and owner in self.objects:
            found = [c for c in self.comments if c["_on"] == owner]
            shown = [{k: v for k, v in c.items() if not k.startswith("_")} for c in found]
            return web.json_response({"data": shown, "paging": {}})
        if (owner, edge) in (
            (self.page_id, "posts"),
            (self.page_id, "feed"),
            (self.ig_id, "media"),
        ):
            return self._recent(owner, request)
        if (owner, edge) == (self.ig_id, "content_publishing_limit"):
            used = ig.published_in_window(self.ig_published, ig.now())
            return ig.limit_usage(used, self.publish_limit)
        return web.json_response(graph_error(100, "Unknown edge"), status=400)

    async def _post_edge(self, request: web.Request) -> web.StreamResponse:
        token = self._token(request)
        owner, edge = self._owner(request), request.match_info["edge"]
        if token is None:
            return self._bad_token(request)
        fields = self._fields(request)
        if edge == "comments":
            return await self._comment(request, owner, token, fields)
        if owner == self.page_id and token not in self.page_tokens:
            return web.json_response(
                graph_error(190, "A Page access token is required"), status=400
            )
        if (owner, edge) == (self.page_id, "photos"):
            return await self._photo(request, fields)
        if (owner, edge) == (self.page_id, "feed"):
            return await self._feed(request, fields)
        if (owner, edge) == (self.page_id, "videos"):
            return await self._video(request, fields)
        if (owner, edge) == (self.ig_id, "media"):
            if self.ig_server_errors > 0:
                self.ig_server_errors -= 1
                return ig.server_error()
            return ig.container_refusal(fields) or self._container(owner, fields)
        if (owner, edge) == (self.ig_id, "media_publish"):
            if ig.published_in_window(self.ig_published, ig.now()) >= self.publish_limit:
                return ig.limit_reached()
            answer = await self._publish_container(request, owner, "caption")
            if answer.status == 200:
                self.ig_published.append(ig.now())
            return answer
        return web.json_response(graph_error(100, "Unknown edge"), status=400)

    async def _comment(
        self, request: web.Request, on: str, token: str, fields: dict[str, Any]
    ) -> web.StreamResponse:
        post = self.objects.get(on)
        if post is None or post.get("kind") != "post":
            body = graph_error(100, "Unsupported post request. Object does not exist")
            return web.json_response(body, status=400)
        instagram = post.get("owner") == self.ig_id
        if not instagram and token not in self.page_tokens:
            body = graph_error(190, "A Page access token is required")
            return web.json_response(body, status=400)
        message = str(fields.get("message", ""))
        if not message.strip():
            return web.json_response(graph_error(100, "(#100) Missing message"), status=400)

        async def create() -> web.StreamResponse:
            number = self._new_id()
            comment: dict[str, Any] = {"_on": on, "_key": request.headers.get(
                "X-Outpost-Idempotency-Key", "")}
            if instagram:
                comment.update(id=number, text=message, username="acme.corp",
                               timestamp=_stamp(time.time()))  # fmt: skip
            else:
                comment.update(id=f"{on.rsplit('_', 1)[-1]}_{number}", message=message,
                               **{"from": {"id": self.page_id, "name": "Acme"}})  # fmt: skip
            self.comments.append(comment)
            return web.json_response({"id": comment["id"]})

        return await self.create_call(request, create)

    def _duplicate(self, message: str) -> web.Response | None:
        if message and any(p.get("message") == message for p in self.posts):
            return web.json_response(
                graph_error(506, "(#506) Duplicate status message"), status=400
            )
        return None

    async def _feed(self, request: web.Request, fields: dict[str, Any]) -> web.StreamResponse:
        message = str(fields.get("message", ""))
        attached = [json.loads(v)["media_fbid"] for k, v in fields.items() if "attached" in k]
        if not message and not attached:
            return web.json_response(graph_error(100, "(#100) Missing message"), status=400)
        if any(self.objects.get(str(a), {}).get("kind") != "photo" for a in attached):
            return web.json_response(graph_error(100, "(#100) Invalid attached_media"), status=400)
        duplicate = self._duplicate(message)
        if duplicate is not None:
            return duplicate

        async def create() -> web.StreamResponse:
            post: dict[str, Any] = {"owner": self.page_id, "id": f"{self.page_id}_{self._new_id()}"}
            post.update(message=message, attached=attached)
            return web.json_response({"id": self._publish(request, post)["id"]})

        return await self.create_call(request, create)

    async def _video(self, request: web.Request, fields: dict[str, Any]) -> web.StreamResponse:
        """A Page video from ``file_url`` (recorded, never fetched) or a ``source`` upload."""
        if not fields.get("file_url") and not isinstance(fields.get("source"), dict):
            body = graph_error(100, "(#100) Either file_url or source is required")
            return web.json_response(body, status=400)
        description = str(fields.get("description", ""))

        async def create() -> web.StreamResponse:
            video_id = self._new_id()
            post: dict[str, Any] = {"owner": self.page_id, "id": f"{self.page_id}_{video_id}"}
            post.update(message=description, video=video_id)
            self._publish(request, post)
            # Graph gives a video's permalink relative to www.facebook.com.
            self.objects[video_id] = {
                "id": video_id, "kind": "video", "description": description,
                "file_url": fields.get("file_url"), "post_id": post["id"],
                "permalink_url": f"/{self.page_id}/videos/{video_id}/",
            }  # fmt: skip
            return web.json_response({"id": video_id})

        return await self.create_call(request, create)

    async def _photo(self, request: web.Request, fields: dict[str, Any]) -> web.StreamResponse:
        if not isinstance(fields.get("source"), dict) and not fields.get("url"):
            return web.json_response(graph_error(324, "Requires upload file"), status=400)
        photo_id = self._new_id()
        self.objects[photo_id] = {"id": photo_id, "kind": "photo", "source": fields.get("source"),
                                  "alt_text_custom": fields.get("alt_text_custom")}  # fmt: skip
        if fields.get("published") == "false":
            return web.json_response({"id": photo_id})
        message = str(fields.get("message", ""))

        async def create() -> web.StreamResponse:
            post: dict[str, Any] = {"owner": self.page_id, "id": f"{self.page_id}_{photo_id}"}
            post.update(message=message, attached=[photo_id])
            return web.json_response(
                {"id": photo_id, "post_id": self._publish(request, post)["id"]}
            )

        return await self.create_call(request, create)


if __name__ == "__main__":
    run_main(FakeGraph())
