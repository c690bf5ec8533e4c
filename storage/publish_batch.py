"""Claim and finish many destinations in one transaction each.

The worker's hot path used to cost about twenty statements per publish. Here a batch of
claims (or of outcomes) takes a handful of statements whatever its size. Each row keeps its
own conditions: a claim still needs its revision, ``pending`` and due; an outcome still needs
``publishing`` and the attempt number it claimed (the fencing token).

Lock order is posts (by id) then destinations, the order the commands in ``storage.posts``
use, so a batch and a person's reschedule or cancel cannot deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.states import DestinationStatus, PostStatus
from storage.records import Connection
from storage.rows import Run, fetch_accounts, fetch_posts, on_driver
from storage.views import AccountView, DestinationView, PostView


@dataclass(frozen=True)
class Claim:
    """A destination this worker now owns until ``lease_until``."""

    destination: DestinationView
    post: PostView
    account: AccountView
    attempt_id: int
    attempt_number: int


@dataclass(frozen=True)
class ClaimKey:
    dest_id: uuid.UUID
    revision: int
    now: datetime
    lease_until: datetime
    worker: str


@dataclass(frozen=True)
class Outcome:
    """What a worker learned about its claim: ``success``, ``failed``, ``pending`` (retry
    at ``due_at``) or ``unknown``."""

    claim: Claim
    status: DestinationStatus
    now: datetime
    remote_id: str | None = None
    url: str | None = None
    code: str | None = None
    message: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Finished:
    """``won`` is False when the claim was lost meanwhile. ``post_status`` is the post's final
    status when this outcome finished it; ``recurring`` asks the caller to finalize it the
    slow way, which also creates the next occurrence."""

    won: bool
    post_status: PostStatus | None = None
    post_revision: int | None = None
    recurring: bool = False
    post: PostView | None = None  # the closed post as its report needs it


LOCK_POSTS_OF = """
    SELECT id FROM scheduled_posts
    WHERE id IN (SELECT post_id FROM post_destinations WHERE id = ANY($1::uuid[]))
    ORDER BY id FOR UPDATE
"""

# One statement: claim each row still pending, due and at its revision; mark its post
# started; write the attempt rows. Data-modifying CTEs all run, read or not.
CLAIM = """
    WITH w AS (
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[],
                             $5::text[]) AS w(id, rev, at, lease, worker)
    ), claimed AS (
        UPDATE post_destinations AS d
        SET status = 'publishing', attempts = d.attempts + 1, lease_until = w.lease,
            updated_at = w.at
        FROM w
        WHERE d.id = w.id AND d.revision = w.rev AND d.status = 'pending' AND d.due_at <= w.at
          -- A draft or a post awaiting approval is never sent, whatever job asks.
          AND NOT EXISTS (SELECT 1 FROM scheduled_posts h WHERE h.id = d.post_id
                          AND h.status IN ('draft', 'pending_approval'))
        RETURNING d.id, d.attempts, d.post_id, w.at, w.worker
    ), started AS (
        UPDATE scheduled_posts AS p SET status = 'publishing', updated_at = $6
        WHERE p.id IN (SELECT post_id FROM claimed) AND p.status = 'scheduled'
    ), attempt AS (
        INSERT INTO publish_attempts (destination_id, number, started_at, worker)
        SELECT id, attempts, at, worker FROM claimed
        RETURNING id, destination_id
    )
    SELECT c.id, c.attempts, c.post_id, a.id AS attempt_id
    FROM claimed c JOIN attempt a ON a.destination_id = c.id
"""

LOCK_POSTS = """
    SELECT id FROM scheduled_posts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
"""

# Record each outcome if its claim still holds (fenced by the attempt number), and close
# every attempt row: ``superseded`` where the claim was lost meanwhile.
FINISH = """
    WITH v AS (
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::text[],
                             $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bigint[])
            AS v(id, number, status, at, remote_id, url, code, message, due_at, attempt_id)
    ), won AS (
        UPDATE post_destinations AS d
        SET status = v.status, lease_until = NULL, updated_at = v.at,
            error_code = v.code, error_message = v.message,
            due_at = COALESCE(v.due_at, d.due_at),
            platform_post_id = CASE WHEN v.status = 'success' THEN v.remote_id
                                    ELSE d.platform_post_id END,
            platform_url = CASE WHEN v.status = 'success' THEN v.url ELSE d.platform_url END,
            -- A retried thread part or comment keeps the post's own time.
            published_at = CASE WHEN v.status = 'success' THEN COALESCE(d.published_at, v.at)
                                ELSE d.published_at END
        FROM v
        WHERE d.id = v.id AND d.status = 'publishing' AND d.attempts = v.number
        RETURNING d.id
    ), closed AS (
        UPDATE publish_attempts AS a
        SET finished_at = v.at, error_code = v.code, error_message = v.message,
            outcome = CASE WHEN v.id IN (SELECT id FROM won) THEN v.status
                           ELSE 'superseded' END
        FROM v WHERE a.id = v.attempt_id
    )
    SELECT id FROM won
"""

# The one rule for a post's status: done when every destination is, and then its status
# follows from theirs. Both paths run this statement (``close_posts``): the worker's batch
# (``finish_many``) and ``PublishStore.finalize`` (recurring posts, the reconciler). It leaves
# recurring and evergreen posts open (revision NULL) for ``finalize``, which also makes the next
# occurrence or the evergreen copy.
CLOSE_POSTS = """
    WITH agg AS (
        SELECT post_id,
               bool_and(status IN ('success', 'failed', 'cancelled')) AS all_done,
               count(*) FILTER (WHERE status = 'success') AS ok,
               count(*) FILTER (WHERE status <> 'cancelled') AS live
        FROM post_destinations WHERE post_id = ANY($1::uuid[]) GROUP BY post_id
    ), outcome AS (
        SELECT post_id,
               CASE WHEN live = 0 THEN 'cancelled'
                    WHEN ok = live THEN 'published'
                    WHEN ok > 0 THEN 'partially_published'
                    ELSE 'failed' END AS status
        FROM agg WHERE all_done
    ), closed AS (
        UPDATE scheduled_posts AS p
        SET status = o.status, revision = p.revision + 1, updated_at = $2
        FROM outcome o
        WHERE p.id = o.post_id AND p.status IN ('scheduled', 'publishing')
          AND ((p.recurrence IS NULL AND p.evergreen_days IS NULL) OR o.status = 'cancelled')
        RETURNING p.id, p.revision
    )
    SELECT o.post_id, o.status, c.revision
    FROM outcome o LEFT JOIN closed c ON c.id = o.post_id
"""


async def close_posts(
    run: Run, post_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, tuple[PostStatus, int | None]]:
    """Each done post's final status, and its new revision where this closed it (None: left
    open, being recurring or already closed). Posts with a destination still open are absent.
    The caller holds the posts' locks."""
    rows = await run(CLOSE_POSTS, list(post_ids), now)
    return {r["post_id"]: (PostStatus(r["status"]), r["revision"]) for r in rows}


async def claim_many(conn: Connection, keys: list[ClaimKey]) -> list[Claim | None]:
    """Claim each key's destination if it is still pending, due and at that revision."""
    first = {k.dest_id: k for k in reversed(keys)}  # a destination asked for twice: first wins
    wanted = list(first.values())
    async with conn.transaction():
        await conn.execute(LOCK_POSTS_OF, list(first))
        rows = await conn.fetch(
            CLAIM,
            [k.dest_id for k in wanted],
            [k.revision for k in wanted],
            [k.now for k in wanted],
            [k.lease_until for k in wanted],
            [k.worker for k in wanted],
            max(k.now for k in keys),
        )
        if not rows:
            return [None] * len(keys)
        run = on_driver(conn)
        posts = await fetch_posts(run, list({r["post_id"] for r in rows}))
        accounts = await fetch_accounts(
            run, list({d.account_id for p in posts.values() for d in p.destinations})
        )
    claimed = {r["id"]: r for r in rows}
    out: list[Claim | None] = []
    for key in keys:
        row = claimed.get(key.dest_id)
        if row is None or first[key.dest_id] is not key:
            out.append(None)
            continue
        post = posts[row["post_id"]]
        dest = next(d for d in post.destinations if d.id == key.dest_id)
        account = accounts[dest.account_id]
        out.append(Claim(dest, post, account, int(row["attempt_id"]), int(row["attempts"])))
    return out


async def finish_many(conn: Connection, outcomes: list[Outcome]) -> list[Finished]:
    """Record outcomes, close their attempts, and finalize the posts they finished."""
    post_ids = sorted({o.claim.post.id for o in outcomes})
    async with conn.transaction():
        await conn.execute(LOCK_POSTS, post_ids)
        won = {
            r["id"]
            for r in await conn.fetch(
                FINISH,
                [o.claim.destination.id for o in outcomes],
                [o.claim.attempt_number for o in outcomes],
                [o.status for o in outcomes],
                [o.now for o in outcomes],
                [o.remote_id for o in outcomes],
                [o.url for o in outcomes],
                [o.code for o in outcomes],
                [o.message for o in outcomes],
                [o.due_at for o in outcomes],
                [o.claim.attempt_id for o in outcomes],
            )
        }
        run = on_driver(conn)
        ended = await close_posts(run, post_ids, max(o.now for o in outcomes))
        revisions = {pid: rev for pid, (_, rev) in ended.items() if rev is not None}
        closed = await fetch_posts(run, list(revisions)) if revisions else {}
    left_open = {pid for pid, (_, rev) in ended.items() if rev is None}
    out = []
    for o in outcomes:
        pid = o.claim.post.id
        if o.claim.destination.id not in won:
            out.append(Finished(False))
        elif pid in revisions:
            view = closed[pid]
            out.append(Finished(True, view.status, revisions[pid], post=view))
        else:
            out.append(Finished(True, recurring=pid in left_open))
    return out
