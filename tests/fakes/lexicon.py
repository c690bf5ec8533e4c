"""Check a value against a lexicon definition from ``specs/bluesky``, as a PDS validates records.

Covers what records use: objects (required, property types), strings (maxLength in UTF-8
bytes, maxGraphemes), integers (minimum, maximum), booleans, arrays (minLength, maxLength),
refs and unions by ``$type``, and blobs (known to the PDS, ``accept`` MIME patterns,
``maxSize``). Unknown fields are allowed, as in atproto. The answer is the PDS-style problem
text, or None. ``UPSTREAM`` adds limits the trimmed lexicons in ``specs/bluesky`` leave out,
from bluesky-social/atproto ``lexicons/`` (read 2026-12-07).
"""

from __future__ import annotations

import fnmatch
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import grapheme

LEXICONS = Path(os.environ.get("OUTPOST_SPECS", "/work/shared/specs")) / "bluesky"


# (nsid, property) -> constraints the upstream lexicon has and the trimmed copy lacks.
UPSTREAM: dict[tuple[str, str], dict[str, int]] = {
    ("app.bsky.embed.video", "alt"): {"maxLength": 10000, "maxGraphemes": 1000},
}


@cache
def _lexicon(nsid: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((LEXICONS / f"{nsid}.json").read_text())
    return loaded


def definition(ref: str, here: str = "") -> tuple[str, dict[str, Any]]:
    """(nsid, def) for ``#name`` (in ``here``), ``nsid#name`` or ``nsid`` (its main)."""
    nsid, _, name = ref.partition("#")
    nsid = nsid or here
    return nsid, _lexicon(nsid)["defs"][name or "main"]


def problem(
    value: Any, schema: dict[str, Any], path: str, here: str, blobs: dict[str, dict[str, Any]]
) -> str | None:
    """Why ``value`` does not fit ``schema`` (from lexicon ``here``), or None."""
    kind = schema.get("type")
    if kind == "ref":
        nsid, target = definition(str(schema["ref"]), here)
        return problem(value, target, path, nsid, blobs)
    if kind == "union":
        if not isinstance(value, dict) or "$type" not in value:
            return f"{path} must be an object with a $type"
        wanted = str(value["$type"])
        if wanted not in schema.get("refs", []):
            return f"{path} has an unknown $type {wanted}"
        nsid, target = definition(wanted, here)
        return problem(value, target, path, nsid, blobs)
    if kind == "object":
        if not isinstance(value, dict):
            return f"{path} must be an object"
        for name in schema.get("required", []):
            if name not in value:
                return f'{path} must have the property "{name}"'
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                full = {**sub, **UPSTREAM.get((here, name), {})}
                found = problem(value[name], full, f"{path}/{name}", here, blobs)
                if found:
                    return found
        return None
    return _scalar(value, schema, path, here, blobs)


def _scalar(
    value: Any, schema: dict[str, Any], path: str, here: str, blobs: dict[str, dict[str, Any]]
) -> str | None:
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            return f"{path} must be a string"
        if len(value.encode()) > schema.get("maxLength", len(value.encode())):
            return f"{path} must not be longer than {schema['maxLength']} characters"
        if grapheme.length(value) > schema.get("maxGraphemes", grapheme.length(value)):
            return f"{path} must not be longer than {schema['maxGraphemes']} graphemes"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{path} must be a boolean"
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{path} must be an integer"
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return f"{path} is out of range"
        return None
    if kind == "array":
        if not isinstance(value, list):
            return f"{path} must be an array"
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return f"{path} must hold {schema.get('minLength', 0)} to {schema.get('maxLength')}"
        for n, item in enumerate(value):
            found = problem(item, schema["items"], f"{path}/{n}", here, blobs)
            if found:
                return found
        return None
    if kind == "blob":
        return _blob(value, schema, path, blobs)
    return None  # unknown, cid-link, bytes: not used by what Outpost sends


def _blob(
    value: Any, schema: dict[str, Any], path: str, blobs: dict[str, dict[str, Any]]
) -> str | None:
    if not isinstance(value, dict) or value.get("$type") != "blob":
        return f"{path} must be a blob"
    link = value.get("ref", {}).get("$link")
    stored = blobs.get(str(link))
    if stored is None:
        return f"{path}: could not find blob {link}"
    accept = schema.get("accept", ["*/*"])
    if not any(fnmatch.fnmatch(stored["mimeType"], pattern) for pattern in accept):
        return f"{path}: {stored['mimeType']} is not one of {', '.join(accept)}"
    if stored["size"] > schema.get("maxSize", stored["size"]):
        return f"{path}: blob is {stored['size']} bytes, over {schema['maxSize']}"
    return None
