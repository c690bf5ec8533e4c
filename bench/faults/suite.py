"""Drive a workload through chaos and count what was lost, duplicated or sent after cancel.

Run: ``.venv/bin/python -m bench.faults.suite`` (defaults: 500 posts, 24 kills). Everything is
private to the run: a PostgreSQL cluster and a redis-server on free ports, fake networks in this
process, and ``outpost worker`` subprocesses that get SIGKILL and SIGTERM at random moments.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.errors import Conflict, OutpostError
from scheduler.runtime import Runtime, open_runtime
from scheduler.service import Scheduler
from storage.db import ensure_database, upgrade
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.faults.workers import WorkerProcess
from tests.support import PrivatePostgres, PrivateRedis, make_settings


@dataclass
class Config:
    """Size and violence of one run."""

    posts: int = 500
    kills: int = 24
    workers: int = 3
    spread: float = 60.0
    fault_rate: float = 0.2
    edits: float = 0.1
    cancels: float = 0.1
    reschedules: float = 0.1
    seed: int = 7
    settle_timeout: float = 240.0
    # A short queue horizon, so most posts are scheduled beyond it and cross it mid-chaos; and
    # at each flush, Redis restart and worker kill, a few posts that cross it just then.
    horizon: float = 10.0
    crossers: int = 3


@dataclass
class Report:
    """What the run found; all four counts must be zero."""

    posts: int = 0
    destinations: int = 0
    kills: int = 0
    events: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    inconsistent: int = 0
    failed_with_reason: int = 0
    crossing: dict[str, int] = field(default_factory=dict)
    crossing_bad: int = 0
    lateness: list[float] = field(default_factory=list)
    lateness_after_recovery: list[float] = field(default_factory=list)
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)

    def text(self) -> str:
        def stats(values: list[float]) -> str:
            if not values:
                return "n/a"
            ordered = sorted(values)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            return (
                f"p50 {statistics.median(ordered):.2f} s, p99 {p99:.2f} s, max {ordered[-1]:.2f} s"
            )

        return "\n".join(
            [
                f"- posts {self.posts}, destinations {self.destinations}, kills {self.kills}, "
                f"run time {self.seconds:.0f} s",
                f"- events: {', '.join(self.events)}",
                f"- **lost {self.lost}, duplicated {self.duplicated}, unexpected (after cancel) "
                f"{self.unexpected}, inconsistent {self.inconsistent}**",
                f"- failed with a reason (gave up after retries): {self.failed_with_reason}",
                "- posts crossing the queue horizon as a fault struck: "
                + ", ".join(f"{n} at {kind}" for kind, n in sorted(self.crossing.items()))
                + f"; of those lost or published twice: {self.crossing_bad}",
                f"- lateness, all published: {stats(self.lateness)}",
                f"- lateness, due after the last fault: {stats(self.lateness_after_recovery)}",
                *(f"  - {line}" for line in self.details[:10]),
            ]
        )


class Chaos:
    """Workers that are killed and restarted, a Redis and a Postgres that go away."""

    def __init__(
        self, rt: Runtime, cfg: Config, redis: PrivateRedis, pg: PrivatePostgres, logs: Path
    ) -> None:
        self.rt, self.cfg, self.redis, self.pg, self.logs = rt, cfg, redis, pg, logs
        self.random = random.Random(cfg.seed)
        self.workers = [self._spawn(i) for i in range(cfg.workers)]
        self.kills = 0
        self.events: list[str] = []
        self.last_fault = 0.0
        self.spawned = cfg.workers
        self.started = time.time()
        self._draining: list[WorkerProcess] = []
        self.crossed: dict[str, list[uuid.UUID]] = {}
        self.spaces: dict[uuid.UUID, list[str]] = {}

    def _spawn(self, n: int) -> WorkerProcess:
        return WorkerProcess(self.rt.settings, self.logs, f"c{n}").start()

    async def run(self, until: float) -> None:
        plan = ["flush", "redis-restart", "pg-restart"]
        step = max(0.5, (until - time.time()) / (self.cfg.kills + len(plan) + 1))
        while time.time() < until and (self.kills < self.cfg.kills or plan):
            await asyncio.sleep(self.random.uniform(0.5, 1.5) * step)
            if plan and self.random.random() < 0.15:
                await self._server_fault(plan.pop(0))
            elif self.kills < self.cfg.kills:
                await self._kill_one()
        for kind in plan:
            await self._server_fault(kind)

    async def _cross(self, kind: str) -> None:
        """Schedule posts due just past the horizon: the reconciler queues them right as the
        fault strikes."""
        if not self.spaces:
            return
        ws = next(iter(self.spaces))
        due = self.rt.clock.now() + timedelta(seconds=self.cfg.horizon + 0.5)
        for _ in range(self.cfg.crossers):
            post = await _retrying(
                Scheduler(self.rt).schedule_fields,
                ws,
                text=f"crossing {kind} {uuid.uuid4().hex[:6]}",
                when=due,
                destinations=self.spaces[ws][:2],
            )
            self.crossed.setdefault(kind, []).append(post.id)

    async def _kill_one(self) -> None:
        await self._cross("worker kill")
        index = self.random.randrange(len(self.workers))
        sig = signal.SIGKILL if self.random.random() < 0.6 else signal.SIGTERM
        victim = self.workers[index]
        victim.kill(sig)
        if sig == signal.SIGKILL:
            victim.wait(10)
        self.kills += 1
        self.last_fault = time.time()
        self.workers[index] = self._spawn(self.spawned)
        self.spawned += 1
        # A SIGTERMed worker finishes its jobs and exits by itself; reap it later.
        self._draining.append(victim)

    async def _server_fault(self, kind: str) -> None:
        self.events.append(f"{kind}@{time.time() - self.started:.0f}s")
        if kind != "pg-restart":
            await self._cross(kind)
        if kind == "flush":
            await self.rt.redis.flushall()
        elif kind == "redis-restart":
            await asyncio.to_thread(self.redis.stop)
            await asyncio.sleep(1.0)
            await asyncio.to_thread(self.redis.start)
        else:
            await asyncio.to_thread(self.pg.restart)
        self.last_fault = time.time()

    def stop(self) -> None:
        for proc in [*self.workers, *self._draining]:
            proc.stop()


async def _retrying(fn: Any, *args: Any, **kw: Any) -> Any:
    """Intake during a Postgres or Redis restart: the caller retries, as a chat user would."""
    for _ in range(60):
        try:
            return await fn(*args, **kw)
        except (Conflict, OutpostError):
            raise
        except Exception:
            await asyncio.sleep(0.5)
    raise RuntimeError("intake kept failing")


async def workload(
    rt: Runtime, cfg: Config, accounts: dict[uuid.UUID, list[str]], rng: random.Random
) -> tuple[list[uuid.UUID], set[uuid.UUID]]:
    """Schedule the posts, then edit, reschedule and cancel some while they wait."""
    scheduler = Scheduler(rt)
    start = rt.clock.now() + timedelta(seconds=5)
    posts: list[uuid.UUID] = []
    spaces = list(accounts)
    for i in range(cfg.posts):
        ws = spaces[i % len(spaces)]
        handles = rng.sample(accounts[ws], rng.randint(2, min(4, len(accounts[ws]))))
        due = start + timedelta(seconds=rng.uniform(0, cfg.spread))
        post = await _retrying(
            scheduler.schedule_fields,
            ws,
            text=f"post {i} {uuid.uuid4().hex[:6]}",
            when=due,
            destinations=handles,
        )
        posts.append(post.id)
    cancelled: set[uuid.UUID] = set()
    for post_id in rng.sample(posts, int(len(posts) * (cfg.edits + cfg.cancels + cfg.reschedules))):
        roll = rng.random()
        try:
            if roll < 0.33:
                await _retrying(scheduler.edit, None, post_id, f"edited {post_id.hex[:8]}")
            elif roll < 0.66:
                await _retrying(scheduler.cancel, None, post_id)
                cancelled.add(post_id)
            else:
                later = rt.clock.now() + timedelta(seconds=rng.uniform(5, cfg.spread))
                await _retrying(scheduler.reschedule, None, post_id, later)
        except Conflict:
            pass  # already publishing: too late to change, as a user would be told
    return posts, cancelled


async def _accounts(rt: Runtime, fakes: list[Any]) -> dict[uuid.UUID, list[str]]:
    """Three workspaces, each with every fake network connected."""
    spaces: dict[uuid.UUID, list[str]] = {}
    for n in range(3):
        ws = await rt.workspaces.create(f"team{n}", "UTC")
        handles = []
        for i, fake in enumerate(fakes):
            if isinstance(fake, FakeMastodon):
                handle, token, url = f"@m{i}@fake", "good-token", fake.url
                platform = "mastodon"
            else:
                handle, token, url = f"hook{i}", fake.secret, fake.url + f"/in/{n}"
                platform = "webhook"
            await rt.workspaces.add_account(
                ws.id, platform, handle, rt.cipher.encrypt(token), base_url=url
            )
            handles.append(handle)
        spaces[ws.id] = handles
    return spaces


async def audit(
    rt: Runtime,
    fakes: list[Any],
    posts: list[uuid.UUID],
    cancelled: set[uuid.UUID],
    last_fault: float,
    report: Report,
    crossing: frozenset[uuid.UUID] = frozenset(),
) -> None:
    """Compare Postgres with what each fake network actually received."""
    created: dict[str, int] = {}
    for fake in fakes:
        for key in fake.created_keys():
            created[key] = created.get(key, 0) + 1
    report.duplicated = sum(count - 1 for count in created.values() if count > 1)
    for post_id in posts:
        post = await rt.posts.get(post_id)
        if post.status not in ("published", "partially_published", "failed", "cancelled"):
            report.lost += 1
        for dest in post.destinations:
            report.destinations += 1
            on_network = dest.idempotency_key in created
            if post_id in cancelled and on_network:
                report.unexpected += 1
            if (dest.status == "success") != on_network:
                report.inconsistent += 1
                report.details.append(
                    f"inconsistent: {dest.platform} {dest.status} on_network={on_network} "
                    f"attempts={dest.attempts} {dest.error_code}: {dest.error_message}"
                )
            if dest.status == "failed" and dest.error_message:
                report.failed_with_reason += 1
                report.details.append(
                    f"failed: {dest.platform} {dest.error_code}: "
                    f"{dest.error_message} (attempts {dest.attempts})"
                )
            if post_id in crossing and (
                created.get(dest.idempotency_key, 0) > 1
                or post.status not in ("published", "partially_published", "failed")
            ):
                report.crossing_bad += 1
            if dest.status == "success" and dest.published_at is not None:
                late = (dest.published_at - dest.due_at).total_seconds()
                report.lateness.append(late)
                if dest.due_at.timestamp() > last_fault:
                    report.lateness_after_recovery.append(late)


async def settle(rt: Runtime, posts: list[uuid.UUID], timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            open_posts = [
                p for p in posts if (await rt.posts.get(p)).status in ("scheduled", "publishing")
            ]
        except Exception:
            open_posts = posts
        if not open_posts:
            return
        await asyncio.sleep(1.0)


async def run(cfg: Config, logs: Path) -> Report:
    """One full run; servers and workers are private and removed afterwards."""
    report = Report(posts=cfg.posts)
    started = time.time()
    pg, redis = PrivatePostgres(), PrivateRedis()
    pg.init()
    pg.start()
    redis.start()
    fakes: list[Any] = [FakeMastodon(seed=cfg.seed + i) for i in range(2)]
    fakes += [FakeWebhookReceiver(seed=cfg.seed + 10 + i) for i in range(2)]
    chaos: Chaos | None = None
    try:
        for fake in fakes:
            await fake.start()
            fake.fault_rate = cfg.fault_rate
            fake.fault_kw = {"delay": 3.0, "reset": 1.0}
        settings = make_settings(
            logs / "data",
            database_url=pg.url(),
            redis_url=redis.url,
            job_timeout_seconds=4.0,
            publish_timeout_seconds=2.0,
            max_publish_attempts=30,
            reconcile_seconds=1.0,
            queue_horizon_seconds=cfg.horizon,
        )
        await ensure_database(settings.database_url)
        await upgrade(settings.database_url)
        async with open_runtime(settings) as rt:
            accounts = await _accounts(rt, fakes)
            chaos = Chaos(rt, cfg, redis, pg, logs)
            chaos.started = started
            chaos.spaces = accounts
            rng = random.Random(cfg.seed)
            posts, cancelled = await workload(rt, cfg, accounts, rng)
            await chaos.run(until=time.time() + cfg.spread)
            report.kills, report.events = chaos.kills, chaos.events
            for fake in fakes:
                fake.fault_rate = cfg.fault_rate  # keep misbehaving while things settle
            crossing = frozenset(p for ids in chaos.crossed.values() for p in ids)
            report.crossing = {kind: len(ids) for kind, ids in chaos.crossed.items()}
            posts += sorted(crossing)
            report.posts = len(posts)
            await settle(rt, posts, cfg.settle_timeout)
            await audit(rt, fakes, posts, cancelled, chaos.last_fault, report, crossing)
    finally:
        if chaos is not None:
            await asyncio.to_thread(chaos.stop)
        for fake in fakes:
            await fake.stop()
        redis.cleanup()
        pg.cleanup()
    report.seconds = time.time() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", default="test-artifacts/faults")
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args(argv)
    logs = Path(args.logs).resolve()
    logs.mkdir(parents=True, exist_ok=True)
    cfg = Config(posts=args.posts, kills=args.kills, spread=args.spread, seed=args.seed)
    report = asyncio.run(run(cfg, logs))
    text = report.text()
    print(text)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from report import machine, write_section

        command = " ".join(["python -m bench.faults.suite", *(argv or sys.argv[1:])])
        write_section(
            "faults",
            f"## Fault suite\n\nCommand: `.venv/bin/{command.strip()}`  \nMachine: {machine()}\n\n"
            + text,
        )
    bad = report.lost + report.duplicated + report.unexpected + report.inconsistent
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
