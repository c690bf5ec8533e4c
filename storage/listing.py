"""Listing a workspace's posts on one bare asyncpg connection, for ``outpost posts``.

A one-shot listing spends most of its life importing SQLAlchemy (about 0.2 s of CPU, more than
the queries take), so it skips the engine: one connection, the statements ``storage.rows``
reads posts with, and the same row-to-view mapping (``storage.records``). The filter and order
are ``PostStore.search``'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from core.errors import ConfigError, NotFound
from storage.records import workspace_from
from storage.rows import fetch_posts, on_driver
from storage.views import PostView, WorkspaceView

SEARCH = """
    SELECT id FROM scheduled_posts
    WHERE workspace_id = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
    ORDER BY scheduled_at, id
    LIMIT $3
"""


def plain_dsn(url: str) -> str:
    """``DATABASE_URL`` as asyncpg takes it (no ``+asyncpg`` driver name)."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


async def _connect(url: str) -> asyncpg.Connection:
    try:
        conn = await asyncpg.connect(plain_dsn(url))
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConfigError(
            f"Cannot open the database DATABASE_URL names ({exc}).",
            "Check DATABASE_URL; `outpost migrate` creates the database.",
        ) from None
    # Decoded as the engine's connections decode them (SQLAlchemy's asyncpg dialect).
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
    return conn


async def list_posts(
    url: str, workspace: str | None, statuses: Sequence[str], limit: int = 1000
) -> list[tuple[WorkspaceView, list[PostView]]]:
    """Each workspace (the one named, else all by name) with its posts in time order."""
    conn = await _connect(url)
    try:
        if workspace is None:
            rows = await conn.fetch("SELECT * FROM workspaces ORDER BY name")
        else:
            rows = await conn.fetch("SELECT * FROM workspaces WHERE name = $1", workspace)
            if not rows:
                raise NotFound(
                    f"No workspace named {workspace!r}.",
                    f"Create it: outpost workspace create {workspace}",
                )
        listed = []
        for ws in map(workspace_from, rows):
            ids = [r["id"] for r in await conn.fetch(SEARCH, ws.id, list(statuses), limit)]
            views = await fetch_posts(on_driver(conn), ids)
            listed.append((ws, [views[i] for i in ids if i in views]))
        return listed
    finally:
        await conn.close()
