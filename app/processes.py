"""``outpost web [--processes N]``: one web process, or N sharing the port, supervised.

Each child is a fresh interpreter (multiprocessing's "spawn"), so it builds its own database
engine, Redis pool and HTTP sessions: nothing open is inherited across a fork. The children
listen on one port with ``SO_REUSEPORT`` and the kernel spreads new connections among them.

Supervision is gunicorn's: a child that dies after it listened is replaced (a second later, so
a crash on every request cannot spin); a child that dies before it listened (a bad setting, the
port taken without SO_REUSEPORT, Postgres unreachable) stops the others and the command exits
1, because starting it again would fail again and the operator's supervisor should see it.
SIGTERM or SIGINT stops every child the way one web process stops (requests in flight finish),
then the command exits 0; a supervisor killed outright takes its children with it
(``_follow_parent``). ``outpost run`` always keeps its one process.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.synchronize import Event
from types import FrameType

from core import aio
from core.errors import ConfigError
from core.logging import setup_logging
from core.settings import load_settings

log = logging.getLogger("outpost")

# aiohttp gives requests in flight up to 60 s when a site stops; then the child is killed.
STOP_SECONDS = 75.0
RESTART_PAUSE = 1.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def web_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    count = args.processes or settings.web_processes
    if count == 1:
        from app.serve import serve  # the whole app, in this process

        aio.run(serve(settings, with_web=True, with_worker=False))
        return 0
    if settings.telegram_enabled and settings.telegram_mode == "polling":
        raise ConfigError(
            "TELEGRAM_MODE=polling takes one web process: Telegram hands updates to one poller.",
            "Use --processes 1, or TELEGRAM_MODE=webhook with a public URL.",
        )
    return WebProcesses(count).run()


def _follow_parent(parent: int) -> None:
    """SIGTERM this process when the supervisor dies, even by SIGKILL (Linux).

    Otherwise a supervisor killed outright (the OOM killer, ``kill -9``) would leave its
    children serving the port, unsupervised, beside the one the service manager starts next.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def _child(ready: Event, parent: int) -> None:
    """One web process of several; ``ready`` is set once it listens."""
    _follow_parent(parent)
    settings = load_settings()
    setup_logging(settings.log_level)
    from app.serve import serve

    aio.run(serve(settings, with_web=True, with_worker=False, reuse_port=True, on_ready=ready.set))


@dataclass
class Child:
    process: SpawnProcess
    ready: Event


class WebProcesses:
    """Starts ``count`` web processes and keeps them running until told to stop."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.context: SpawnContext = multiprocessing.get_context("spawn")
        self.children: list[Child] = []
        self.stopping = False

    def _start(self) -> Child:
        ready = self.context.Event()
        process = self.context.Process(
            target=_child, args=(ready, os.getpid()), name="outpost-web"
        )
        process.start()
        return Child(process, ready)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT (0) or a child that never listened (1)."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self.children = [self._start() for _ in range(self.count)]
        log.info("web processes started", extra={"processes": self.count})
        status = 0
        while not self.stopping:
            wait([c.process.sentinel for c in self.children], timeout=0.5)
            for index, child in enumerate(self.children):
                if child.process.is_alive() or self.stopping:
                    continue
                code = child.process.exitcode
                if not child.ready.is_set():
                    log.error("a web process failed to start", extra={"exit_code": code})
                    self.stopping, status = True, 1
                    break
                log.warning(
                    "a web process died; starting another",
                    extra={"pid": child.process.pid, "exit_code": code},
                )
                time.sleep(RESTART_PAUSE)
                self.children[index] = self._start()
        self._stop_children()
        return status

    def _stop_children(self) -> None:
        live = [c.process for c in self.children if c.process.is_alive()]
        for process in live:
            process.terminate()  # SIGTERM: the child's own graceful stop
        deadline = time.monotonic() + STOP_SECONDS
        for process in live:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("a web process did not stop; killing it", extra={"pid": process.pid})
                process.kill()
                process.join()
        log.info("web processes stopped")
