"""Statuses and events have one definition (``core.states``): the database's CHECK
constraints, the API's JSON Schema and the SQL the worker runs all agree with it, and a post's
final status follows one rule whichever path closes it."""

from __future__ import annotations

import inspect
import re
import uuid
from collections import Counter
from itertools import combinations_with_replacement

import asyncpg

from core.states import (
    FINAL_DESTINATION_STATUSES,
    REPORTED_POST_STATUSES,
    CallbackEvent,
    DestinationStatus,
    PostStatus,
)
from scheduler.runtime import Runtime
from storage import calendar, posts, publish_batch, publishing, rows
from storage.db import _plain_dsn
from storage.publish_batch import close_posts
from storage.rows import driver, on_driver
from storage.views import NewPost
from tests.support import TEST_DB
from webhooks.openapi import document

MAX_DESTINATIONS = 4


async def _check_values(table: str) -> list[str]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        definition = await conn.fetchval(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " WHERE c.conrelid = $1::regclass AND c.contype = 'c'"
            " AND pg_get_constraintdef(c.oid) LIKE '%status%'",
            table,
        )
    finally:
        await conn.close()
    return re.findall(r"'([^']*)'", definition)


async def test_check_constraints_allow_exactly_the_enums(database: str) -> None:
    assert await _check_values("scheduled_posts") == list(PostStatus)
    assert await _check_values("post_destinations") == list(DestinationStatus)


def test_api_schema_enums_are_the_enums() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["Post"]["properties"]["status"]["enum"] == list(PostStatus)
    assert schemas["Destination"]["properties"]["status"]["enum"] == list(DestinationStatus)
    # The delivery log lists destination events too, so their names must be in the schema.
    events = schemas["CallbackDelivery"]["properties"]["event"]["enum"]
    assert events == list(CallbackEvent)
    assert {CallbackEvent.for_post(s) for s in REPORTED_POST_STATUSES} <= set(events)
    for status in (DestinationStatus.SUCCESS, DestinationStatus.FAILED):
        assert CallbackEvent.for_destination(status) in events
    assert CallbackEvent.for_destination(DestinationStatus.SUCCESS) == "destination.published"


def test_status_literals_in_the_posts_sql_are_enum_members() -> None:
    """The SQL statements still spell statuses out; a typo there fails here, not in production."""
    known = set(PostStatus) | set(DestinationStatus)
    found: set[str] = set()
    for module in (calendar, posts, publish_batch, publishing, rows):
        source = inspect.getsource(module)
        for sql in re.findall(r'"""(.*?)"""', source, flags=re.DOTALL):
            for match in re.finditer(r"status\s*(?:=|<>|IN\s*\()\s*((?:'\w+'[\s,]*)+)", sql):
                found |= set(re.findall(r"'(\w+)'", match.group(1)))
            found |= set(re.findall(r"THEN\s+'(\w+)'", sql))
    assert found, "the pattern stopped matching the SQL: fix this test"
    assert found <= known, found - known


def _expected(statuses: tuple[DestinationStatus, ...]) -> PostStatus | None:
    """The contract's rule, written out independently of the SQL that implements it."""
    if any(s not in FINAL_DESTINATION_STATUSES for s in statuses):
        return None
    live = [s for s in statuses if s != DestinationStatus.CANCELLED]
    if not live:
        return PostStatus.CANCELLED
    successes = live.count(DestinationStatus.SUCCESS)
    if successes == len(live):
        return PostStatus.PUBLISHED
    return PostStatus.PARTIALLY_PUBLISHED if successes else PostStatus.FAILED


async def test_batch_and_slow_path_give_every_mix_of_destinations_the_same_status(
    runtime: Runtime,
) -> None:
    ws = await runtime.workspaces.create("mixes", "UTC")
    accounts = [
        (await runtime.workspaces.add_account(ws.id, "mastodon", f"@a{i}@x", "enc")).id
        for i in range(MAX_DESTINATIONS)
    ]
    now = runtime.clock.now()
    mixes = [
        mix
        for size in range(1, MAX_DESTINATIONS + 1)
        for mix in combinations_with_replacement(list(DestinationStatus), size)
    ]
    # Each mix three times: closed by the worker's batch, by finalize, and by finalize as a
    # recurring post (which finalize, not the batch statement, closes).
    made: dict[tuple[str, int], uuid.UUID] = {}
    for number, mix in enumerate(mixes):
        for path, recurrence in (("batch", None), ("finalize", None), ("recurring", "FREQ=DAILY")):
            post = await runtime.posts.create(
                NewPost(ws.id, None, f"{path} {mix}", now, "UTC", tuple(accounts[: len(mix)]),
                        recurrence=recurrence)
            )  # fmt: skip
            made[path, number] = post.id
            async with driver(runtime.posts.sessions) as conn:
                await conn.execute(
                    "UPDATE post_destinations AS d SET status = v.status FROM"
                    " unnest($1::uuid[], $2::text[]) AS v(id, status) WHERE d.id = v.id",
                    [d.id for d in post.destinations],
                    [str(s) for s in mix],
                )
    batch_ids = [made["batch", n] for n in range(len(mixes))]
    async with driver(runtime.posts.sessions) as conn, conn.transaction():
        batch = await close_posts(on_driver(conn), batch_ids, now)
    slow: dict[uuid.UUID, PostStatus | None] = {}
    for path in ("finalize", "recurring"):
        for n in range(len(mixes)):
            done = await runtime.publishing.finalize(made[path, n], now, lambda _: None)
            slow[made[path, n]] = None if done is None else done[0].status
    async with driver(runtime.posts.sessions) as conn:
        stored = {
            r["id"]: r["status"] for r in await conn.fetch("SELECT id, status FROM scheduled_posts")
        }
    outcomes: Counter[PostStatus | None] = Counter()
    for number, mix in enumerate(mixes):
        expected = _expected(mix)
        outcomes[expected] += 1
        got = batch.get(made["batch", number])
        assert (got[0] if got else None) == expected, mix
        for path in ("finalize", "recurring"):
            assert slow[made[path, number]] == expected, (path, mix)
        for path in ("batch", "finalize", "recurring"):
            assert stored[made[path, number]] == (expected or PostStatus.SCHEDULED), (path, mix)
    # Every final status is reached by some mix, so the comparison covered the whole rule.
    assert set(outcomes) == {None, *REPORTED_POST_STATUSES, PostStatus.CANCELLED}


def test_every_callback_event_is_documented_once() -> None:
    """An event the code can emit has a description and a body schema in the API document."""
    from webhooks.events import ACCOUNT_EVENTS, POST_EVENTS

    documented = [*POST_EVENTS, *ACCOUNT_EVENTS]
    assert sorted(documented) == sorted(CallbackEvent)
