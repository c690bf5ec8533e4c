"""The interface every network implements, and the values that cross it.

A publisher is built once per process with the shared HTTP session. The scheduler calls
``validate`` when a post is scheduled (pure, no I/O) and ``publish`` when it is due. Publishers
never retry or sleep: they raise a ``PublishError`` and the queue decides.

Health: ``check(account)`` makes the network's cheapest authenticated read (who am I, the page
still reachable, the API version still accepted) and answers a ``Health``; nothing is posted.
Networks implement ``probe``; the default has nothing to ask and says so.

Threads and first comments: a destination may have steps after its root post, each its own
network call made by the worker (``scheduler.publishing.steps``), never a loop inside
``publish``. ``thread_parts`` says what the posts are (the parts as written, or the text split
the network's way when threading); ``publish`` sends the first, ``reply`` each next one as a
reply to the one before. The first comment goes through ``reply`` where ``comment_kind`` is
"reply" (X, Bluesky, Mastodon, Threads) and ``comment`` where it is "comment" (LinkedIn,
Facebook, Instagram). ``validate`` checks every part and the comment. After an ambiguous
step, a network that dedupes gets it again under the same key; others say what they find
with ``find_step``.

Ambiguous outcomes: a network that dedupes on our key (``dedupes = True``) can simply be sent
again with the same ``idempotency_key``. Others may implement ``find_existing`` to look for the
post on the account; the default says it cannot tell.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp

from core.i18n import msg
from publishers.errors import ContentRejected, IntegrationOutdated, PublishError, TransientError
from publishers.limits import IMAGE_TYPES, MB
from publishers.text import split_thread


@dataclass(frozen=True)
class Problem:
    """Something a network would refuse, found before scheduling."""

    destination: str
    message: str

    def __str__(self) -> str:
        return f"{self.destination}: {self.message}"

    def text(self) -> str:
        """``str(self)`` that a chat can still show in the asker's language (``core.i18n``)."""
        return msg("{destination}: {message}", destination=self.destination, message=self.message)


@dataclass(frozen=True)
class Media:
    """A stored file, read through the media store."""

    media_id: str
    content_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    filename: str = "media"
    # The person's description of the image or video (alt text); "" when none was given.
    alt: str = ""
    # Streams the bytes from the store, chunk by chunk.
    open: Callable[[], AsyncIterator[bytes]] | None = None
    # A short-lived URL a network can fetch the file from.
    signed_url: Callable[[], Awaitable[str]] | None = None

    async def read(self) -> bytes:
        """The whole file; for networks whose upload takes one body."""
        if self.open is None:
            raise RuntimeError("media has no reader")
        return b"".join([chunk async for chunk in self.open()])


@dataclass(frozen=True)
class Account:
    """A connected account as a publisher needs it: decrypted, never logged."""

    account_id: str
    platform: str
    handle: str
    access_token: str = field(repr=False)
    base_url: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishRequest:
    """One destination of one post."""

    destination_id: str
    idempotency_key: str
    text: str
    account: Account
    media: tuple[Media, ...] = ()
    thread: bool = False
    post_id: str = ""
    # A thread's parts as written (empty: ``text`` alone, split when ``thread`` is set).
    parts: tuple[str, ...] = ()
    first_comment: str = ""


@dataclass(frozen=True)
class Receipt:
    """Where the post now lives."""

    remote_id: str
    url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


OK, RECONNECT, OUTDATED, UNREACHABLE = "ok", "reconnect", "needs an update", "unreachable"


@dataclass(frozen=True)
class Health:
    """What an account's check found: ``status`` is one of the four above, ``reason`` why."""

    status: str
    reason: str = ""

    @classmethod
    def of(cls, error: PublishError) -> Health:
        """The health an error from the HTTP edge stands for."""
        if isinstance(error, IntegrationOutdated):
            return cls(OUTDATED, error.message)
        if isinstance(error, TransientError):
            return cls(UNREACHABLE, error.message)
        # A revoked token, a page gone or a scope lost: only reconnecting mends it.
        return cls(RECONNECT, error.message)


class Publisher(ABC):
    """Base class: capabilities as class attributes, ``validate`` and ``publish``."""

    platform: ClassVar[str] = ""
    label: ClassVar[str] = ""
    max_length: ClassVar[int] = 500
    max_media: ClassVar[int] = 4
    media_types: ClassVar[frozenset[str]] = IMAGE_TYPES
    max_image_bytes: ClassVar[int] = 8 * MB
    max_video_bytes: ClassVar[int] = 40 * MB
    supports_threads: ClassVar[bool] = False
    # How the first comment is made: "reply" (``reply``), "comment" (``comment``), "" (none).
    comment_kind: ClassVar[str] = ""
    # The longest comment; 0 means the network's text limit.
    max_comment_length: ClassVar[int] = 0
    # Longest alt text the network takes per file; 0 means it has no alt text field.
    max_alt_length: ClassVar[int] = 0
    dedupes: ClassVar[bool] = False

    def __init__(self, http: aiohttp.ClientSession, timeout: float = 15.0) -> None:
        self.http = http
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def configure(self, settings: object) -> None:  # noqa: B027 (an optional hook)
        """Read this network's settings (a service's base URL); most networks need none."""

    def length(self, text: str) -> int:
        """Text length as this network counts it."""
        return len(text)

    def text_limit(self, account: Account) -> int:
        """The text limit for ``account``; networks whose servers differ read its settings."""
        return self.max_length

    def validate(self, request: PublishRequest) -> list[Problem]:
        """What this network would refuse; pure, called at scheduling time."""
        name = request.account.handle or self.label or self.platform
        problems: list[Problem] = []
        size = self.length(request.text)
        limit = self.text_limit(request.account)
        if not request.text.strip() and not request.media:
            problems.append(Problem(name, msg("the post has no text and no media")))
        if size > limit and not ((request.thread or request.parts) and self.supports_threads):
            problems.append(
                Problem(
                    name,
                    msg(
                        "text is {size} characters; {network} allows {limit}",
                        size=size,
                        network=self.label,
                        limit=limit,
                    ),
                )
            )
        if len(request.media) > self.max_media:
            problems.append(
                Problem(
                    name,
                    msg(
                        "{count} files; {network} takes {most}",
                        count=len(request.media),
                        network=self.label,
                        most=self.max_media,
                    ),
                )
            )
        for item in request.media:
            if self.max_alt_length and len(item.alt) > self.max_alt_length:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "a description (alt text) is {size} characters; {network} allows "
                            "{limit}",
                            size=len(item.alt),
                            network=self.label,
                            limit=self.max_alt_length,
                        ),
                    )
                )
            if item.content_type not in self.media_types:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "{network} does not take {kind} files",
                            network=self.label,
                            kind=item.content_type,
                        ),
                    )
                )
                continue
            limit = (
                self.max_video_bytes
                if item.content_type.startswith("video/")
                else self.max_image_bytes
            )
            if item.size > limit:
                problems.append(
                    Problem(
                        name,
                        msg(
                            "a file is {size} KB; limit {limit} KB",
                            size=item.size // 1024,
                            limit=limit // 1024,
                        ),
                    )
                )
        return problems + self.step_problems(request)

    def step_problems(self, request: PublishRequest) -> list[Problem]:
        """Each written part and the first comment against this network's limits."""
        name = request.account.handle or self.label or self.platform
        limit = self.text_limit(request.account)
        problems: list[Problem] = []
        if request.parts and self.supports_threads:
            for n, part in enumerate(request.parts, 1):
                size = self.length(part)
                if size > limit:
                    why = msg(
                        "part {n} of the thread is {size} characters; {network} allows {limit}",
                        n=n, size=size, network=self.label, limit=limit,
                    )  # fmt: skip
                    problems.append(Problem(name, why))
                elif not part.strip() and n > 1:
                    problems.append(Problem(name, msg("part {n} of the thread is empty", n=n)))
        comment = request.first_comment
        if comment and self.comment_kind:
            most = self.max_comment_length or limit
            size = self.length(comment)
            if size > most:
                why = msg("the first comment is {size} characters; {network} allows {limit}",
                          size=size, network=self.label, limit=most)  # fmt: skip
                problems.append(Problem(name, why))
        return problems

    def split(self, text: str, account: Account) -> list[str]:
        """``text`` as a thread's parts, each within the limit (for networks that thread)."""
        return split_thread(text, self.text_limit(account), self.length)

    def thread_parts(self, request: PublishRequest) -> list[str]:
        """The posts this destination is made of, root first: the parts as written, the text
        split when threading, or the one text (parts joined where the network cannot thread)."""
        if not self.supports_threads:
            return [request.text or "\n\n".join(request.parts)]
        if request.parts:
            return list(request.parts)
        if request.thread:
            return self.split(request.text, request.account)
        return [request.text]

    @abstractmethod
    async def publish(self, request: PublishRequest) -> Receipt:
        """Create the post; raise a PublishError when it cannot."""

    async def find_existing(self, request: PublishRequest) -> Receipt | bool | None:
        """After an ambiguous outcome: the post's receipt, None if absent, False if unknowable."""
        return False

    async def reply(self, request: PublishRequest, parent: Receipt, root: Receipt) -> Receipt:
        """Post ``request.text`` as the account's reply to ``parent`` (``root`` starts the
        thread); ``request.idempotency_key`` is the step's own key."""
        raise ContentRejected(f"{self.label or self.platform} cannot reply to a post")

    async def comment(self, request: PublishRequest, post: Receipt) -> Receipt:
        """Comment ``request.text`` on ``post`` as the account."""
        raise ContentRejected(f"{self.label or self.platform} cannot comment on a post")

    async def find_step(self, request: PublishRequest, parent: Receipt) -> Receipt | bool | None:
        """After an ambiguous reply or comment under ``parent``: its receipt, None if it is
        absent, False if this network cannot tell."""
        return False

    async def check(self, account: Account) -> Health:
        """The account's health from ``probe``; never raises a PublishError, never posts."""
        try:
            detail = await self.probe(account)
        except PublishError as exc:
            return Health.of(exc)
        return Health(OK, detail)

    async def probe(self, account: Account) -> str:
        """The network's cheapest authenticated read; raise its PublishError, or say what held."""
        return f"{self.label or self.platform} has nothing to check before posting"
