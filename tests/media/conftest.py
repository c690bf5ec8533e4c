"""Media fixtures: the same tests run against local disk and a fake Supabase Storage."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from app.web import build_app
from scheduler.runtime import Runtime
from storage.media import LocalMediaStore, MediaStore
from storage.supabase_store import SupabaseMediaStore
from tests.fakes.supabase import SERVICE_KEY, FakeSupabaseStorage

BUCKET = "media"


@pytest.fixture
async def supabase() -> AsyncIterator[FakeSupabaseStorage]:
    fake = FakeSupabaseStorage()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def served(runtime: Runtime) -> AsyncIterator[TestServer]:
    """The app (with its signed ``/media/`` route) on a real port."""
    server = TestServer(build_app(runtime), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture(params=["local", "supabase"])
async def store(
    request: pytest.FixtureRequest,
    runtime: Runtime,
    served: TestServer,
    supabase: FakeSupabaseStorage,
) -> AsyncIterator[MediaStore]:
    """A prepared store of each kind; local files are served by the app on a real port."""
    made: MediaStore
    if request.param == "local":
        made = LocalMediaStore(
            runtime.settings.data_dir / "media",
            str(served.make_url("")),
            runtime.settings.secret_key.get_secret_value().encode(),
        )
    else:
        made = SupabaseMediaStore(supabase.url, SERVICE_KEY, BUCKET)
    await made.prepare()
    yield made
    await made.aclose()


@pytest.fixture
def media_rt(runtime: Runtime, store: MediaStore) -> Runtime:
    """The test runtime reading and writing media through ``store``."""
    return dataclasses.replace(runtime, media=store)
