"""One CSRF check for every state-changing request that a browser's cookies authenticate.

Every method but GET, HEAD and OPTIONS is checked, whatever the route and whatever the body's
encoding, except the routes no cookie authenticates (``EXEMPT``: the API, hooks and the MCP
server take a Bearer token or a signature, Slack and Telegram sign or carry a secret header). A
checked request is refused (403) when the browser says it came from another site (``Sec-Fetch-Site``
other than ``same-origin``/``none``, or else an ``Origin`` that is not ours) and when it lacks
the token: an HMAC of the session cookie (or, before login, of a random pre-session cookie), sent
in an ``X-CSRF-Token`` header or a ``csrf`` form field, urlencoded or multipart. A route that
streams its multipart body (``STREAMED``) must send ``csrf`` as the first part; the check reads
only that part and hands the rest of the reader on (``MULTIPART_KEY``), so nothing of a
forged upload is written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware

from scheduler.runtime import Runtime
from web.pages import FORBIDDEN_HINT, FORBIDDEN_MESSAGE, JINJA, forbidden
from web.session import CSRF_KEY, PRE_COOKIE, SESSION_COOKIE, set_cookie

EXEMPT = ("/api/", "/hooks/", "/slack/", "/telegram/", "/mcp")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STREAMED = frozenset({"cal.compose_submit", "cal.compose_form"})
HEADER = "X-CSRF-Token"
TOKEN_PART_LIMIT = 1024
MULTIPART_KEY = web.RequestKey("csrf_multipart", MultipartReader)
SAME_SITE = frozenset({"same-origin", "none"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSAL = f"{FORBIDDEN_MESSAGE} {FORBIDDEN_HINT}"


def csrf_for(secret: str, anchor: str) -> str:
    """The CSRF token bound to a session (or pre-session) cookie."""
    return hmac.new(secret.encode(), f"csrf:{anchor}".encode(), hashlib.sha256).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site(request: web.Request, public_origin: str) -> bool:
    """Whether the browser says this request was made by another site's page.

    ``Sec-Fetch-Site`` decides where a browser sends it (every current one does). ``Origin`` is
    the fallback, except ``null``: our pages' ``Referrer-Policy: no-referrer`` makes browsers
    send ``Origin: null`` even for our own forms, so there only the token decides.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.lower() not in SAME_SITE
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return False  # an older browser, or not a browser: the token decides
    own = {public_origin, f"{request.scheme}://{request.host}".lower()}
    return origin.lower() not in own


async def _first_part(request: web.Request) -> str | None:
    """The ``csrf`` part a streamed form must start with; the reader is kept for the handler."""
    reader = await request.multipart()
    request[MULTIPART_KEY] = reader
    first = await reader.next()
    if not isinstance(first, BodyPartReader) or first.name != "csrf":
        return None
    value = bytearray()
    while chunk := await first.read_chunk(TOKEN_PART_LIMIT):
        value.extend(chunk)
        if len(value) > TOKEN_PART_LIMIT:
            return None  # a token is 64 characters; this is something else
    return value.decode("ascii", "replace")


async def submitted(request: web.Request) -> str | None:
    """The token the request carries, from its header or its form."""
    header = request.headers.get(HEADER)
    if header is not None:
        return header
    if request.content_type not in FORM_TYPES:
        return None
    try:
        if request.content_type == FORM_TYPES[1] and request.match_info.route.name in STREAMED:
            return await _first_part(request)
        value = (await request.post()).get("csrf")
    except (ValueError, AssertionError, HttpProcessingError):
        return None  # a malformed body carries no token
    return value if isinstance(value, str) else None


async def _refuse(request: web.Request) -> web.StreamResponse:
    if JINJA in request.app:
        return await forbidden(request)  # the calendar's own page, in its layout
    return web.Response(status=403, text=REFUSAL)


def csrf_middleware(runtime: Runtime) -> Middleware:
    """The check, and the token every page's forms carry (``CSRF_KEY``)."""
    secret = runtime.settings.secret_key.get_secret_value()
    public_origin = _origin(runtime.settings.base_url)

    @web.middleware
    async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(EXEMPT):
            return await handler(request)
        anchor = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_COOKIE)
        fresh = None
        if not anchor:
            fresh = anchor = secrets.token_urlsafe(24)
        expected = csrf_for(secret, anchor)
        request[CSRF_KEY] = expected
        if request.method not in SAFE_METHODS:
            if cross_site(request, public_origin):
                return await _refuse(request)
            given = await submitted(request)
            if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
                return await _refuse(request)
        response = await handler(request)
        if fresh is not None and not response.prepared and response.content_type == "text/html":
            set_cookie(response, runtime, PRE_COOKIE, fresh)
        return response

    return csrf
