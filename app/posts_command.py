"""``outpost posts``: a read of two tables, so it opens the database alone.

The whole runtime (Redis, HTTP sessions, publishers, the media store) would cost more to open
than the listing costs to read.
"""

from __future__ import annotations

import argparse

from core import aio
from core.logging import setup_logging
from core.settings import Settings, load_settings
from storage.db import make_engine, make_sessionmaker
from storage.posts import PostStore
from storage.workspaces import WorkspaceStore


def posts_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    aio.run(list_posts(settings, args.workspace, args.status))
    return 0


async def list_posts(settings: Settings, workspace: str | None, statuses: list[str]) -> None:
    """Print each post of ``workspace`` (else of every workspace), one line each."""
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        sessions = make_sessionmaker(engine)
        workspaces, posts = WorkspaceStore(sessions), PostStore(sessions)
        spaces = (
            [await workspaces.by_name(workspace)] if workspace else await workspaces.workspaces()
        )
        for ws in spaces:
            for post in await posts.search(ws.id, statuses=statuses, limit=1000):
                where = ",".join(f"{d.platform}:{d.handle}={d.status}" for d in post.destinations)
                text = post.content.replace("\n", " ")[:50]
                print(f"{post.id}\t{post.scheduled_at.isoformat()}\t{post.status}\t{where}\t{text}")
    finally:
        await engine.dispose()
