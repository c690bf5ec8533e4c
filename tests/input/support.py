"""Fake X and LinkedIn for the versions, threads and preview tests, and accounts on them
(import the fixtures into a test module to use them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from scheduler.runtime import Runtime
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.x import FakeX


@pytest.fixture
async def xnet() -> AsyncIterator[FakeX]:
    fake = FakeX()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


async def connect_x(rt: Runtime, workspace_id: uuid.UUID, fake: FakeX) -> None:
    await rt.workspaces.add_account(
        workspace_id, "x", "outpost", rt.cipher.encrypt("x-user-token"), base_url=fake.url
    )


async def connect_linkedin(rt: Runtime, workspace_id: uuid.UUID, fake: FakeLinkedIn) -> None:
    await rt.workspaces.add_account(
        workspace_id, "linkedin", "ada", rt.cipher.encrypt("li-token"), base_url=fake.url,
        settings={"author": f"urn:li:person:{fake.person_id}"},
    )  # fmt: skip
