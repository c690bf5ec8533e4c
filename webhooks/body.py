"""Request bodies, read one way by every API route and hook: the size limit first (before
reading the rest), then JSON, then checks of what it holds, each failure a 4xx saying why."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aiohttp import web

from webhooks.errors import ApiError, malformed

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, refusing (413) past ``limit`` without reading the rest."""
    too_big = ApiError(413, "too_large", f"The body is larger than {size_text(limit)}; "
                       "send less (media goes to POST /api/v1/media).")  # fmt: skip
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def size_text(limit: int) -> str:
    """``limit`` bytes for people."""
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _not_json(name: str) -> Any:
    raise ApiError(400, "malformed_json", f"{name} is not JSON; send a finite number.")


def parse_json(raw: bytes) -> Any:
    """JSON from bytes, checked: 400 for what is not JSON (naming where), too deep or a number
    Python will not read; 422 for strings Postgres cannot store (NUL, lone surrogates)."""
    if not raw.strip():
        raise ApiError(400, "malformed_json", "The body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json",
                       f"The body is not UTF-8 (byte {exc.start}).") from None  # fmt: skip
    try:
        value = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise malformed(exc) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        # Python refuses to read integers of more than 4,300 digits (int_max_str_digits).
        raise ApiError(400, "malformed_json", f"The body has a number Python cannot read: "
                       f"{str(exc).split(';')[0]}.") from None  # fmt: skip
    _check(value)
    return value


def _too_deep() -> ApiError:
    return ApiError(400, "too_deep", f"The JSON is nested more than {MAX_DEPTH} levels deep.")


def _check(value: Any) -> None:
    """Walk ``value`` without recursion: depth, finite numbers, storable strings."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ApiError(400, "malformed_json", "The body has a number too large for a "
                           "double (like 1e999); send a finite number.")  # fmt: skip
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def _check_string(text: str) -> None:
    if "\x00" in text:
        # Postgres text and jsonb cannot hold U+0000; refuse it here, not as a 500 later.
        raise ApiError(422, "invalid_request", "Strings must not contain U+0000 (NUL).")
    found = _SURROGATE.search(text)
    if found:
        raise ApiError(422, "invalid_request", f"Strings must be valid Unicode: "
                       f"\\u{ord(found.group()):04x} is half of a surrogate pair.")  # fmt: skip
