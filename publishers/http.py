"""The HTTP edge: send one request, classify the outcome once into ``publishers.errors``.

Status codes (a publisher may override 403 and the error text per network):

    2xx                      -> Response
    429                      -> RateLimited(retry_after from Retry-After / X-RateLimit-Reset)
    401, 410                 -> AuthRevoked
    426                      -> IntegrationOutdated (the API version we send is retired)
    403                      -> AuthRevoked if the body speaks of tokens/scopes/suspension,
                                else ContentRejected (``forbidden`` argument overrides)
    409, "duplicate" text    -> DuplicateContent
    other 4xx                -> ContentRejected with the network's message
    503                      -> Unavailable (the platform says it did nothing)
    408, other 5xx           -> Ambiguous (the post may exist)

Transport errors: a private address the guard refused -> AuthRevoked; refused / unresolvable /
connect timeout -> Unavailable (nothing was sent), all with one message (``guard.GENERIC``);
read timeout, server disconnect, payload or socket errors -> Ambiguous (it may have been sent).

Secrets: messages carry the network's error text and our own words, never headers or URLs
(some networks put tokens in URLs), and the aiohttp cause is dropped (``from None``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from core.i18n import N_, msg
from publishers import guard
from publishers.errors import (
    Ambiguous,
    AuthRevoked,
    ContentRejected,
    DuplicateContent,
    IntegrationOutdated,
    PublishError,
    RateLimited,
    Unavailable,
)

log = logging.getLogger(__name__)
Now = Callable[[], datetime]
# Used when a 429 carries no usable reset header: long enough not to hammer the network.
DEFAULT_RETRY_AFTER = 60.0
# Above this a numeric reset is an epoch timestamp, below it a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000
_AUTH_WORDS = re.compile(r"token|scope|suspend|disabled|login|credential|unauthori", re.I)


def utc_now() -> datetime:
    """The wall clock in UTC; the default ``now``."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Response:
    """An HTTP answer: status, headers and parsed body (2xx when ``send`` returns it)."""

    status: int
    headers: Mapping[str, str]
    data: Any = None
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _parse_reset(value: str, now: datetime) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number - now.timestamp() if number > _EPOCH_THRESHOLD else number
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - now).total_seconds()


def retry_after(headers: Mapping[str, str], now: datetime) -> float:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or X-RateLimit-Reset."""
    for name in ("Retry-After", "X-RateLimit-Reset"):
        value = headers.get(name)
        if value:
            seconds = _parse_reset(value, now)
            if seconds is not None:
                return max(0.0, seconds)
    return DEFAULT_RETRY_AFTER


def error_text(data: Any, text: str) -> str:
    """The network's own error message from a JSON or text body, shortened."""
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "title", "error_description", "description"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:300]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:300]
    return text.strip()[:300] or "no details"


def default_forbidden(message: str) -> type[PublishError]:
    """403: the token lost its rights (reconnect) or the content is refused (edit)."""
    return AuthRevoked if _AUTH_WORDS.search(message) else ContentRejected


# The usual failures in words of ours (the network's own detail inside): stored with the
# destination as English, they are recognised again (``core.i18n.recognise``) so a chat can
# show them in the asker's language.
ANSWERED = N_("{network} answered {status}: {detail}")
RATE_LIMITED = N_("{network} rate limit reached")
TOKEN_REFUSED = N_("{network} refused the account's token ({status}: {detail})")
OUTDATED = N_("Outpost needs an update for {network}: {detail}")
NO_ANSWER = N_("{network} did not answer in time; the post may exist")
WORDING = (TOKEN_REFUSED, OUTDATED, RATE_LIMITED, NO_ANSWER, ANSWERED)


def classify(
    status: int,
    headers: Mapping[str, str],
    data: Any,
    text: str,
    *,
    label: str,
    now: datetime,
    forbidden: Callable[[str], type[PublishError]] = default_forbidden,
) -> PublishError:
    """The error for a non-2xx response."""
    message = error_text(data, text)
    said = msg(ANSWERED, network=label, status=status, detail=message)
    if status == 429:
        return RateLimited(msg(RATE_LIMITED, network=label), retry_after(headers, now), status)
    if status in (401, 410):
        refused = msg(TOKEN_REFUSED, network=label, status=status, detail=message)
        return AuthRevoked(refused, status)
    if status == 426:
        return IntegrationOutdated(msg(OUTDATED, network=label, detail=message), status)
    if status == 403:
        return forbidden(message)(said, status)
    if status == 409 or (400 <= status < 500 and "duplicate" in message.lower()):
        return DuplicateContent(said, status)
    if status == 408:
        return Ambiguous(said, status)
    if 400 <= status < 500:
        return ContentRejected(said, status)
    if status == 503:
        return Unavailable(said, status)
    return Ambiguous(said, status)


Classifier = Callable[[int, Mapping[str, str], Any, str, datetime], PublishError]


async def exchange(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    client_timeout: aiohttp.ClientTimeout,
    label: str,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    data: Any = None,
    bad_address: str = "reconnect the account",
) -> Response:
    """Send one request and return whatever status came back; transport failures raise.

    Nothing sent (refused, no connection in time) is ``Unavailable``; anything after the
    request went out (read timeout, disconnect) is ``Ambiguous``: the post may exist.
    """
    try:
        async with http.request(
            method, url, headers=headers, json=json_body, data=data, timeout=client_timeout
        ) as resp:
            raw = await resp.read()
            status, resp_headers = resp.status, resp.headers
    except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
        # One message for a refused address, a closed port and a silent one: what a user
        # reads back must not map the operator's network (publishers.guard).
        if guard.refused(exc):
            log.info("refused a private address", extra={"label": label})
            raise AuthRevoked(f"{label}: {guard.GENERIC}; {bad_address}") from None
        raise Unavailable(f"{label}: {guard.GENERIC}") from None
    except TimeoutError:  # asyncio.TimeoutError and aiohttp's read timeouts
        raise Ambiguous(msg(NO_ANSWER, network=label)) from None
    except aiohttp.InvalidURL:
        raise AuthRevoked(f"the {label} server address is invalid; {bad_address}") from None
    except aiohttp.ClientError as exc:
        # Disconnects, payload and socket errors after the request went out.
        raise Ambiguous(
            f"{label} dropped the connection ({type(exc).__name__}); the post may exist"
        ) from None
    text = raw.decode("utf-8", "replace")
    try:
        parsed: Any = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    return Response(status, resp_headers, parsed, text)


async def send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    client_timeout: aiohttp.ClientTimeout,
    label: str,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    data: Any = None,
    now: Now = utc_now,
    forbidden: Callable[[str], type[PublishError]] = default_forbidden,
    classifier: Classifier | None = None,
) -> Response:
    """Send one request; return the 2xx response or raise the classified PublishError.

    ``classifier`` replaces ``classify`` for networks whose error bodies say more than the
    status (Graph error codes, X's duplicate detail).
    """
    answer = await exchange(
        http,
        method,
        url,
        client_timeout=client_timeout,
        label=label,
        headers=headers,
        json_body=json_body,
        data=data,
    )
    if 200 <= answer.status < 300:
        return answer
    if classifier is not None:
        raise classifier(answer.status, answer.headers, answer.data, answer.text, now())
    raise classify(
        answer.status,
        answer.headers,
        answer.data,
        answer.text,
        label=label,
        now=now(),
        forbidden=forbidden,
    )
