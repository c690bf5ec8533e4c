"""Helpers shared by the tests: settings, private servers, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from core.settings import Settings, load_settings
from scheduler.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
TEST_DB = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_test"
)
TEST_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
KEY = Fernet.generate_key().decode()


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "outpost_env": "test",
        "database_url": TEST_DB,
        "redis_url": TEST_REDIS,
        "data_dir": data_dir,
        "secret_key": "test-secret-key-0123456789",
        "encryption_keys": KEY,
        "job_timeout_seconds": 4.0,
        "reconcile_seconds": 1.0,
        "worker_poll_delay": 0.05,
        "publish_timeout_seconds": 2.0,
        "queue_name": "outpost:test",
        # Refusals are answered at once here; tests/security/test_edge_refusals.py checks the
        # pause production uses.
        "refusal_delay_seconds": 0.0,
    }
    values.update(overrides)
    return load_settings(**values)


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for an ``outpost`` subprocess with the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(
        OUTPOST_ENV="test",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        DATA_DIR=str(settings.data_dir),
        SECRET_KEY=settings.secret_key.get_secret_value(),
        ENCRYPTION_KEYS=settings.encryption_keys.get_secret_value(),
        JOB_TIMEOUT_SECONDS=str(settings.job_timeout_seconds),
        RECONCILE_SECONDS=str(settings.reconcile_seconds),
        QUEUE_HORIZON_SECONDS=str(settings.queue_horizon_seconds),
        WORKER_POLL_DELAY=str(settings.worker_poll_delay),
        PUBLISH_TIMEOUT_SECONDS=str(settings.publish_timeout_seconds),
        MAX_PUBLISH_ATTEMPTS=str(settings.max_publish_attempts),
        QUEUE_NAME=settings.queue_name,
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class TestClock:
    """The wall clock until a test sets it; from then on it stands where it was set."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        self._at: datetime | None = None

    def now(self) -> datetime:
        return self._at or datetime.now(UTC)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("TestClock needs an aware datetime")
        self._at = at


def set_clock(runtime: Runtime, at: datetime) -> None:
    """Move the test runtime's clock (the runtime is frozen; its clock is a ``TestClock``)."""
    clock = runtime.clock
    assert isinstance(clock, TestClock), "open the runtime with a TestClock to move time"
    clock.set(at)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout: float = 15.0, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


class PrivateRedis:
    """A redis-server of the test's own on a free port, stopped by PID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="outpost-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb as user postgres) on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="outpost-pg-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1]

    def url(self, database: str = "outpost") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )

    def start(self) -> None:
        self._as_postgres(
            self.bin / "pg_ctl", "-D", self.data, "-w", "-t", "30", "-l",
            os.path.join(self.dir, "log"), "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop("immediate")
        self.start()

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
