"""The engine and sessionmaker (one per process), database creation and migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """The process's engine, recovering from a restarted Postgres (see ``_drop_if_closed``).

    It opens up to twice ``pool_size`` connections and keeps each it opened. An overflow
    connection would be closed when handed back to a full pool and opened again by the next
    burst: a connect, a refused SSL attempt, type introspection and every statement prepared
    afresh, which under 50 concurrent API creates was a fifth of the app's CPU.
    """
    engine = create_async_engine(url, pool_size=2 * pool_size, max_overflow=0, pool_recycle=1800)
    event.listen(engine.sync_engine, "checkout", _drop_if_closed)
    return engine


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out only connections whose socket is still open.

    ``pool_pre_ping`` would cost three round trips per checkout (BEGIN, a ping, ROLLBACK),
    more than a worker's whole batch. A restarted server closes its sockets, which asyncpg
    sees at once, so checking that costs nothing; DisconnectionError makes the pool connect
    afresh. Anything it misses surfaces as an error that jobs retry.
    """
    conn = getattr(dbapi_connection, "_connection", None)
    if conn is not None and conn.is_closed():
        raise exc.DisconnectionError("connection closed by the server")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it is missing; True when it was created."""
    name = make_url(url).database
    if not name:
        return False
    conn = await asyncpg.connect(_plain_dsn(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


def alembic_config(url: str) -> Config:
    # Alembic is imported here, by migrations alone: every process opens this module, and
    # Alembic's import (with its dialect modules) costs about 0.1 s.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(fn_name: str, url: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(url)
    getattr(command, fn_name)(cfg, revision)


async def upgrade(url: str, revision: str = "heads") -> None:
    """``alembic upgrade``; the async env runs in a thread so it can own its own loop."""
    await asyncio.to_thread(_run, "upgrade", url, revision)


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(_run, "downgrade", url, revision)
