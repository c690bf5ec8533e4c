"""Hook templates, bounded in time, size and memory.

Two layers, because either alone is not enough. The sandbox below refuses, with a message
naming the limit, operators whose result would be huge (``9 ** (9 ** 8)``, ``"x" * 10 ** 9``),
calls with huge counts (``"x".center(10 ** 9)``) and output past ``MAX_OUTPUT``. What it cannot
see (nested loops, a filter that builds a big string) is bounded by where it runs: a worker
process with a memory limit, given ``DEADLINE`` seconds and then killed and replaced. A thread
would not do: it cannot be killed, and big-integer arithmetic holds the GIL, so the event loop
would stall with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from core.errors import RequestProblem

DEADLINE = 1.0
STARTUP_SECONDS = 60.0
MAX_OUTPUT = 100 * 1024  # characters of rendered text, and of any string or list made on the way
MAX_INT_BITS = 16_384  # about 4,900 decimal digits: past what Python will print anyway
MAX_COUNT = MAX_OUTPUT  # the largest number a template may pass to a call (a width, a count)
MEMORY_MB = 256  # address space a worker may add on top of what it starts with
HINT = 'A template looks like "{{ release.name }} is out: {{ release.html_url }}".'
_SEQUENCES = (str, list, tuple)


class TooBig(SecurityError):
    """An operation the bounded sandbox refuses; the message names the limit."""


class TemplateLimit(RequestProblem):
    """The template itself passed a limit (time, size, memory), whatever the payload."""

    code = "template_limit"


def _power(left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
        raise TooBig(f"`**` would make a number over {MAX_INT_BITS} bits")


def _product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TooBig(f"`*` would make a number over {MAX_INT_BITS} bits")
        return
    for seq, count in ((left, right), (right, left)):
        sized = isinstance(seq, _SEQUENCES) and isinstance(count, int)
        if sized and len(seq) * count > MAX_OUTPUT:
            raise TooBig(f"`*` would make something over {MAX_OUTPUT // 1024} KB")


def _sum(left: Any, right: Any) -> None:
    sized = isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES)
    if sized and len(left) + len(right) > MAX_OUTPUT:
        raise TooBig(f"`+` would make something over {MAX_OUTPUT // 1024} KB")


_CHECKS: dict[str, Callable[[Any, Any], None]] = {"**": _power, "*": _product, "+": _sum}


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, plus bounds on what operators and calls may produce."""

    intercepted_binops = frozenset(_CHECKS)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse an operation whose result would pass a limit, before computing it."""
        _CHECKS[operator](left, right)
        return super().call_binop(context, operator, left, right)

    # Jinja's own signature: names a template's keyword arguments cannot collide with.
    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Refuse calls given a huge count ("x".center(10 ** 9), "x".zfill(...))."""
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and abs(value) > MAX_COUNT:
                raise TooBig(f"a call was given {value}, over the limit of {MAX_COUNT}")
        return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    return _environment().from_string(source)


@functools.cache
def _environment() -> BoundedEnvironment:
    return BoundedEnvironment(undefined=StrictUndefined, autoescape=False)


def render_here(source: str, context: dict[str, Any]) -> str:
    """Render in this process, refusing what passes a limit; raises RequestProblem.

    Only the worker processes call this; everyone else goes through ``TemplateRunner``."""
    try:
        pieces: list[str] = []
        size = 0
        for piece in _compiled(source).generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise TemplateLimit(
                    [f"The template's output is over {MAX_OUTPUT // 1024} KB."],
                    "Shorten the template; a post is far shorter than that.",
                )
            pieces.append(piece)
    except UndefinedError as exc:
        raise RequestProblem(
            [f"The template uses a field the payload lacks: {exc.message}."],
            "Check the field names against a sample payload with the preview.",
        ) from None
    except TooBig as exc:
        raise TemplateLimit([f"The template was stopped: {exc}."], HINT) from None
    except SecurityError:
        raise RequestProblem(["The template tried something the sandbox forbids."], HINT) from None
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None
    except MemoryError:
        raise _memory() from None
    except RecursionError:
        raise TemplateLimit(["The template nests or recurses too deeply."], HINT) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise RequestProblem([f"The template failed: {exc}."], HINT) from None
    return "".join(pieces)


def check_here(source: str) -> None:
    """Compile ``source``; raises RequestProblem if it does not."""
    try:
        _compiled(source)
    except TemplateSyntaxError as exc:
        raise _syntax(exc) from None
    except (RecursionError, MemoryError):
        raise RequestProblem(["The template nests too deeply to compile."], HINT) from None


def _syntax(exc: TemplateSyntaxError) -> RequestProblem:
    return RequestProblem(
        [f"The template has a syntax error on line {exc.lineno}: {exc.message}."], HINT
    )


def _memory() -> TemplateLimit:
    return TemplateLimit([f"The template used more than {MEMORY_MB} MB of memory."], HINT)


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
        size = pages * resource.getpagesize() + MEMORY_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    except (ImportError, OSError, ValueError):
        return  # not Linux: the deadline still bounds the worker


def _serve(conn: Connection) -> None:
    """A worker process: answer jobs until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    # Lowest CPU priority: whatever a template costs comes out of spare CPU, never out of the
    # web process, the worker, Postgres or Redis (a busy preview must not slow a create).
    with contextlib.suppress(OSError):
        os.nice(19)
    _limit_memory()
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if job[0] == "check":
                check_here(job[1])
                reply: tuple[Any, ...] = ("ok", None)
            else:
                reply = ("ok", render_here(job[1], job[2]))
        except RequestProblem as exc:
            kind = "limit" if isinstance(exc, TemplateLimit) else "problem"
            reply = (kind, exc.problems, exc.hint)
        except MemoryError:
            problem = _memory()
            reply = ("limit", problem.problems, problem.hint)
        conn.send(reply)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection

    def ask(self, job: tuple[Any, ...], deadline: float) -> tuple[Any, ...] | None:
        """The reply to ``job``, or None if it took longer than ``deadline`` seconds."""
        self.conn.send(job)
        if not self.conn.poll(deadline):
            return None
        reply: tuple[Any, ...] = self.conn.recv()
        return reply

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class TemplateRunner:
    """Renders hook templates in worker processes with a deadline; one per process, made by
    ``open_runtime`` and closed with it. Workers start on first use."""

    def __init__(self, *, workers: int = 2, deadline: float = DEADLINE) -> None:
        self.deadline = deadline
        self._mp = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has loaded this module and the main one (else each
        # worker would import the whole app again): a replacement starts in milliseconds.
        self._mp.set_forkserver_preload(["__main__", __name__])
        self._slots = asyncio.Semaphore(workers)
        self._idle: list[_Worker] = []
        self._workers: dict[int, _Worker] = {}

    async def render(self, source: str, context: dict[str, Any]) -> str:
        """The rendered text; RequestProblem naming the limit when one is passed."""
        reply = await self._run(("render", source, context))
        return str(reply)

    async def check(self, source: str) -> None:
        """RequestProblem if ``source`` does not compile."""
        await self._run(("check", source))

    async def _run(self, job: tuple[Any, ...]) -> Any:
        async with self._slots:
            worker = self._idle.pop() if self._idle else None
            try:
                reply = await asyncio.to_thread(self._ask, worker, job)
            except (EOFError, OSError):
                raise TemplateLimit(
                    [f"The template stopped its renderer (over {MEMORY_MB} MB of memory?)."],
                    HINT,
                ) from None
        if reply is None:
            seconds = f"{self.deadline:g}"
            raise TemplateLimit(
                [f"The template took more than {seconds} s to render."],
                "Simplify it: fewer or smaller loops. " + HINT,
            )
        if reply[0] == "limit":
            raise TemplateLimit(list(reply[1]), str(reply[2]))
        if reply[0] == "problem":
            raise RequestProblem(list(reply[1]), str(reply[2]))
        return reply[1]

    def _ask(self, worker: _Worker | None, job: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """Runs in a thread: send ``job`` to a worker and wait, killing it when it overruns."""
        if worker is not None and not worker.process.is_alive():
            self._retire(worker)  # died while idle (killed from outside): not this job's fault
            worker = None
        worker = worker or self._start()
        try:
            reply = worker.ask(job, self.deadline)
        except BaseException:
            self._retire(worker)
            raise
        if reply is None:
            self._retire(worker)
        else:
            self._idle.append(worker)
        return reply

    def _start(self) -> _Worker:
        parent, child = self._mp.Pipe()
        process = self._mp.Process(target=_serve, args=(child,), daemon=True, name="templates")
        process.start()
        child.close()
        # Starting is not the template's time: the deadline counts from a ready worker.
        if not parent.poll(STARTUP_SECONDS) or parent.recv() != ("ready",):
            process.kill()
            process.join()
            parent.close()
            raise RuntimeError(f"a template worker did not start in {STARTUP_SECONDS} s")
        worker = _Worker(process, parent)
        self._workers[id(worker)] = worker
        return worker

    def _retire(self, worker: _Worker) -> None:
        self._workers.pop(id(worker), None)
        worker.stop()

    def close(self) -> None:
        """Stop every worker."""
        for worker in list(self._workers.values()):
            with contextlib.suppress(OSError):
                self._retire(worker)
        self._idle.clear()
