"""``outpost posts``: a read of a few tables, so it opens one database connection alone.

The runtime (engine, Redis, HTTP sessions, publishers, the media store) would cost more to
import and open than the listing costs to read.
"""

from __future__ import annotations

import argparse

from core import aio
from core.logging import setup_logging
from core.settings import load_settings
from storage.listing import list_posts


def posts_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    listed = aio.run(list_posts(settings.database_url, args.workspace, args.status))
    for _ws, posts in listed:
        for post in posts:
            where = ",".join(f"{d.platform}:{d.handle}={d.status}" for d in post.destinations)
            text = post.content.replace("\n", " ")[:50]
            print(f"{post.id}\t{post.scheduled_at.isoformat()}\t{post.status}\t{where}\t{text}")
    return 0
