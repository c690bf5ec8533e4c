"""What a post would send where, per destination, before it goes out: the one builder the
chats' summaries and ``preview`` command, the API's ``dry_run`` and the calendar's compose form
all show.

Per destination: the text as sent (its network's version), the thread's parts, each counted as
the network counts it against its limit ("271/280"), the first comment (or a note that the
network has none), the files as they will go (after any conversion), and for X whether the post
carries a link (X's pay-per-use API charges more for posts with a link).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from publishers.base import Publisher
from publishers.x_text import has_link
from scheduler.drafts import Draft
from scheduler.reader import ParsedRequest
from scheduler.requests import media_for
from scheduler.service import Scheduler
from scheduler.versions import comment_notes, destination_check, pieces, takes_comments
from scheduler.views import MediaView, PostView


@dataclass(frozen=True)
class PartPreview:
    """One message of a destination's thread (or its only one)."""

    text: str
    length: int
    limit: int


@dataclass(frozen=True)
class DestinationPreview:
    """One account's view of a draft: the text it would be sent and what it would refuse."""

    account_id: uuid.UUID
    platform: str
    handle: str
    text: str
    length: int
    limit: int
    problems: tuple[str, ...]
    # A thread's parts in order; () for one text.
    parts: tuple[PartPreview, ...] = ()
    # Sent as the first reply or comment; None when there is none or the network has none.
    first_comment: str | None = None
    # X only (None elsewhere): a post with a link costs more on X's pay-per-use API.
    has_link: bool | None = None
    # The files as they will be sent: "image/jpeg 1200×800".
    media: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def count(self) -> str:
        """ "271/280", or per part "120/300 · 80/300"."""
        shown = self.parts or (PartPreview(self.text, self.length, self.limit),)
        return " · ".join(f"{p.length}/{p.limit}" for p in shown)


def _file(item: MediaView) -> str:
    size = f" {item.width}×{item.height}" if item.width and item.height else ""
    return f"{item.content_type}{size}"


def _one(publisher: Publisher, draft: Draft, index: int, thread: bool) -> DestinationPreview:
    parsed, account, files = draft.parsed, draft.accounts[index], draft.media
    media = tuple(media_for(m, None) for m in files)
    sent = pieces(publisher, parsed, account, media, thread or bool(parsed.parts))
    posts = [p for p in sent if not p.comment]
    limit = publisher.text_limit(posts[0].request.account)
    parts = tuple(
        PartPreview(p.request.text, publisher.length(p.request.text), limit) for p in posts
    )
    problems, _ = destination_check(
        publisher, parsed, account, media, thread or bool(parsed.parts), set(), set()
    )
    text = parts[0].text if len(parts) == 1 else "\n\n".join(p.text for p in parts)
    link = any(has_link(p.text) for p in parts) if account.platform == "x" else None
    comment = parsed.first_comment if takes_comments(publisher) else None
    return DestinationPreview(
        account.id,
        account.platform,
        account.handle,
        text,
        publisher.length(text),
        limit,
        tuple(str(p) for p in problems),
        parts if parsed.parts else (),
        comment,
        link,
        tuple(_file(m) for m in files),
        tuple(comment_notes(parsed, [publisher])),
    )


def destination_previews(
    scheduler: Scheduler, draft: Draft, thread: bool = False
) -> list[DestinationPreview]:
    """Per destination of ``draft``: what it would be sent, counted, and what it would refuse
    (``thread``: a post the network may split into a thread itself, as ``Scheduler`` checks)."""
    rows = []
    for index, account in enumerate(draft.accounts):
        publisher = scheduler.publisher(account.platform)
        if publisher is not None:
            rows.append(_one(publisher, draft, index, thread))
    return rows


async def post_draft(scheduler: Scheduler, post: PostView) -> Draft:
    """A stored post as a ``Draft`` (not checked again), to preview what it will send."""
    accounts = await scheduler.rt.workspaces.accounts(post.workspace_id)
    mine = {d.account_id for d in post.destinations}
    parsed = ParsedRequest(
        post.scheduled_at, post.timezone, post.recurrence, (), post.content, (),
        variants=dict(post.variants), first_comment=post.first_comment,
    )  # fmt: skip
    if post.parts:
        parsed = replace(parsed, parts=tuple(post.parts))
    return Draft(parsed, tuple(a for a in accounts if a.id in mine), (), tuple(post.media))
