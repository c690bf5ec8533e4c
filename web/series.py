"""A recurring post's page: which occurrence is shown, its rule in words, and the "this one" /
"all" actions (skip, edit one, edit all); cancelling all is the post's own cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import RequestProblem
from scheduler import series
from scheduler.occurrences import following, is_occurrence
from scheduler.recurrence_words import describe
from scheduler.runtime import Runtime
from scheduler.views import PostView

ACTIONS = ("skip", "edit_one", "edit_all")
DONE = {"skip": "skipped", "edit_one": "occurrence-edited", "edit_all": "series-edited"}
UPCOMING = 5


def occurrence(post: PostView, value: str) -> datetime | None:
    """The occurrence ``?at=`` names (ISO-8601 with an offset), when it is one of the post's."""
    if not value or not post.recurrence:
        return None
    try:  # a "+01:00" pasted into a URL unencoded arrives as " 01:00"
        at = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return None
    if at.tzinfo is None or at in post.exdates:
        return None
    rule, dtstart = post.recurrence, post.scheduled_at
    return at if is_occurrence(rule, tz=post.timezone, dtstart=dtstart, at=at) else None


def context(post: PostView, at: datetime | None) -> dict[str, Any]:
    """What post.html shows of a series: the rule in words and the next few occurrences."""
    if not post.recurrence:
        return {"series": None}
    local = post.scheduled_at.astimezone(ZoneInfo(post.timezone))
    upcoming = [post.scheduled_at]
    while len(upcoming) < UPCOMING:
        nxt = following(post.recurrence, tz=post.timezone, after=upcoming[-1],
                        exdates=post.exdates)  # fmt: skip
        if nxt is None:
            break
        upcoming.append(nxt)
    return {
        "series": {
            "words": describe(post.recurrence, local),
            "at": at or post.scheduled_at,
            "virtual": at is not None and at != post.scheduled_at,
            "upcoming": upcoming,
            "skipped": sorted(x for x in post.exdates if x >= post.scheduled_at),
        }
    }


def _at(form: dict[str, str]) -> datetime:
    try:
        at = datetime.fromisoformat(form.get("at", ""))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise RequestProblem(["Which occurrence? Open it from the calendar."])
    return at


async def act(
    rt: Runtime,
    action: str,
    post: PostView,
    form: dict[str, str],
    when: datetime | None,
    *,
    role: str,
    user_id: uuid.UUID | None,
) -> None:
    """Run a series action from the post page's form (``when``: the edited time, if any)."""
    if action == "skip":
        await series.skip(rt, post.workspace_id, post.id, _at(form), role=role)
        return
    text = form.get("text", "").replace("\r\n", "\n")
    if not text.strip():
        raise RequestProblem(["The text is empty."], "Write the post, or skip this occurrence.")
    if action == "edit_one":
        at = _at(form)
        await series.edit_one(rt, post.workspace_id, post.id, at, text, when or at, role=role)
    else:
        await series.edit_all(rt, post.workspace_id, post.id, text=text,
                              repeat=form.get("repeat"), role=role, user_id=user_id)  # fmt: skip
