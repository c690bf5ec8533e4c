"""Start-up: wall time and CPU of ``outpost --help``, ``parse``, ``posts`` and a worker's start.

Run from the repository root (Postgres and Redis on their local ports):

    .venv/bin/python bench/startup.py [--ref GITREV] [--runs 7] [--no-write]
        [--database-url URL] [--redis-url URL]

Each figure is the median of ``--runs`` fresh processes, run as the ``outpost`` console script
runs (``from app.cli import main``) with this virtualenv's Python:
- ``outpost --help``;
- ``outpost parse "tomorrow 9am to x: hi"``;
- ``outpost posts --workspace startup-bench`` (a workspace of 20 posts, made first);
- worker: from starting ``outpost worker`` until it has taken a job queued just before it
  started (arq's job status no longer reads "queued").

Both trees are byte-compiled first, as ``pip install`` leaves an installed Outpost (an
editable install under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module of the
app at every start, which is not what a deployment pays).

``--ref GITREV`` measures the same at another revision too (its tree from ``git archive``, run
with that tree first on ``sys.path``), alternating the two run by run so load on the machine
falls on both alike; the section then shows both side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from arq.connections import RedisSettings, create_pool
from arq.jobs import Job, JobStatus

from bench.report import machine, write_section

DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_startup"
REDIS = "redis://127.0.0.1:6379/7"
QUEUE = "outpost:startup-bench"
WORKSPACE = "startup-bench"
# The console script's own body (see [project.scripts]), so the tree on sys.path decides.
CLI = "import sys; from app.cli import main; sys.exit(main())"
PARSE = "tomorrow 9am to x: hi"


@dataclass
class Tree:
    """A source tree to run ``outpost`` from, and what was measured there."""

    name: str
    path: str
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "PYTHONPATH": self.path}

    def record(self, what: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(what, []).append(wall)
        self.cpu.setdefault(what, []).append(cpu)


def timed(tree: Tree, env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one ``outpost ARGS``, start to exit."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=tree.path, env=tree.env(env), capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):  # parse exits 1 when it names a problem
        raise RuntimeError(f"outpost {' '.join(args)} failed in {tree.name}: {done.stderr!r}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


async def worker_ready(tree: Tree, env: dict[str, str], redis_url: str) -> tuple[float, float]:
    """From ``outpost worker``'s start until it has taken a job queued just before."""
    redis = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE)
    try:
        job_id = f"startup-{uuid.uuid4()}"
        # notify_post for a post that does not exist: the task reloads it and returns.
        await redis.enqueue_job("notify_post", str(uuid.uuid4()), 0, _job_id=job_id)
        before = os.times()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "worker"],
            cwd=tree.path, env=tree.env(env),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        job = Job(job_id, redis, _queue_name=QUEUE)
        try:
            # Taken: running, or done (the worker keeps no results, so done reads "not found").
            while await job.status() in (JobStatus.queued, JobStatus.deferred):
                if proc.poll() is not None:
                    raise RuntimeError(f"the worker in {tree.name} exited {proc.returncode}")
                await asyncio.sleep(0.005)
            wall = time.perf_counter() - start
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 60)
        after = os.times()
        # CPU until it stopped (start-up dominates: it ran one empty job, then drained).
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        return wall, cpu
    finally:
        await redis.aclose()


def prepare(tree: Tree, env: dict[str, str]) -> None:
    """Migrate the bench database and give the workspace 20 posts (once)."""
    subprocess.run(
        [sys.executable, "-c", CLI, "migrate"], cwd=tree.path, env=tree.env(env),
        check=True, capture_output=True,
    )  # fmt: skip
    posts = subprocess.run(
        [sys.executable, "-c", CLI, "posts", "--workspace", WORKSPACE],
        cwd=tree.path, env=tree.env(env), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if posts.returncode != 0:
        for args in (
            ["workspace", "create", WORKSPACE],
            ["accounts", "add", "webhook", "--workspace", WORKSPACE, "--handle", "hook",
             "--base-url", "https://hooks.example.com/startup"],
        ):  # fmt: skip
            subprocess.run(
                [sys.executable, "-c", CLI, *args],
                cwd=tree.path, env=tree.env(env), check=True, capture_output=True,
            )  # fmt: skip
        for day in range(1, 21):
            subprocess.run(
                [sys.executable, "-c", CLI, "schedule", f"in {day} days to webhook: post {day}",
                 "--workspace", WORKSPACE],
                cwd=tree.path, env=tree.env(env), check=True, capture_output=True,
            )  # fmt: skip


PACKAGES = ["app", "bot", "core", "publishers", "scheduler", "storage", "webhooks", "web"]


def compile_tree(tree: Tree) -> None:
    """Byte-compile the tree's packages, as installing them does."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *PACKAGES],
        cwd=tree.path, check=True, capture_output=True,
    )  # fmt: skip


def archive(ref: str, into: str) -> str:
    """The tree of ``ref`` unpacked under ``into``; the commit it names."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tar = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", into], input=tar, check=True)
    return commit


def measure(trees: list[Tree], env: dict[str, str], runs: int, redis_url: str) -> None:
    for _ in range(runs):
        for tree in trees:  # alternate, so the machine's load falls on every tree alike
            tree.record("help", *timed(tree, env, "--help"))
            tree.record("parse", *timed(tree, env, "parse", PARSE))
            tree.record("posts", *timed(tree, env, "posts", "--workspace", WORKSPACE))
            tree.record("worker", *asyncio.run(worker_ready(tree, env, redis_url)))


LABELS = {
    "help": "`outpost --help`",
    "parse": f'`outpost parse "{PARSE}"`',
    "posts": f"`outpost posts --workspace {WORKSPACE}` (20 posts)",
    "worker": "`outpost worker`: start until a queued job is taken",
}


def report(trees: list[Tree], runs: int, ref: str | None) -> str:
    names = " | ".join(f"{t.name} wall | {t.name} CPU" for t in trees)
    lines = [
        "## Start-up",
        "",
        f"`.venv/bin/python bench/startup.py{' --ref ' + ref if ref else ''} --runs {runs}`: "
        f"median of {runs} fresh processes each, run as the `outpost` script runs, both trees "
        "byte-compiled as an install leaves them"
        + (", the revisions alternating run by run." if len(trees) > 1 else "."),
        "",
        f"| command | {names} |",
        "| --- |" + " --- | --- |" * len(trees),
    ]
    for what, label in LABELS.items():
        cells = " | ".join(
            f"{statistics.median(t.wall[what]):.2f} s | {statistics.median(t.cpu[what]):.2f} s"
            for t in trees
        )
        lines.append(f"| {label} | {cells} |")
    lines += ["", f"Machine: {machine()}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="also measure this git revision (e.g. main, 3d22611)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=DB)
    parser.add_argument("--redis-url", default=REDIS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="outpost-startup-")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))
    } | {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "QUEUE_NAME": QUEUE,
        "DATA_DIR": os.path.join(scratch, "data"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PYTHONPATH", None)
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=False,
        ).stdout.strip()  # fmt: skip
        trees = [Tree(f"this tree ({head})", ROOT)]
        if args.ref:
            path = os.path.join(scratch, "ref")
            os.makedirs(path)
            commit = archive(args.ref, path)
            name = commit if commit.startswith(args.ref) else f"{args.ref} ({commit})"
            trees.insert(0, Tree(name, path))
        for tree in trees:
            compile_tree(tree)
        prepare(trees[-1], env)
        measure(trees, env, args.runs, args.redis_url)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    body = report(trees, args.runs, args.ref)
    print(body)
    if not args.no_write:
        write_section("startup", body)


if __name__ == "__main__":
    main()
