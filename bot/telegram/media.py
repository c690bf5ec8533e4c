"""Photos, videos and documents: checked from Telegram's description before any download,
then fetched (getFile, then the file URL) straight into the media library.

The Bot API lets bots download files up to 20 MB; larger ones get a clear answer instead of a
failed getFile. A request is parsed and checked against each destination with the file sizes
and types Telegram reports, so a caption with no time or a refused file stores nothing.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta

import aiohttp
from telegram import Animation, Bot, Message, Video
from telegram.error import BadRequest

from bot import render
from bot.conversation import ChatContext
from bot.render import Reply
from bot.telegram.app import MAX_DOWNLOAD
from bot.telegram.context import Services
from core.errors import OutpostError, RequestProblem
from core.i18n import msg
from scheduler.media.ingest import ingest_stream
from scheduler.members import Identity
from scheduler.views import MediaView

CHUNK = 256 * 1024
AGAIN = msg("Send it again.")
SMALLER = msg(
    "Send a smaller or shorter file, or upload it through the calendar or the API "
    "(they take bigger files)."
)


@dataclass(frozen=True)
class Attachment:
    """A file as Telegram describes it in the message."""

    kind: str
    file_id: str
    unique_id: str
    size: int | None
    mime: str
    name: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-able, for album parts stored between updates."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Attachment:
        """The inverse of ``to_dict``."""
        return cls(**data)  # type: ignore[arg-type]


def _seconds(item: Video | Animation) -> float:
    # PTB warns when a duration is read as an int; either form is fine here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = item.duration
    return float(value.total_seconds() if isinstance(value, timedelta) else value)


def attachment_of(message: Message) -> Attachment | None:
    """The file a message carries: the largest photo size, a video, an animation or a document."""
    if message.photo:
        best = message.photo[-1]
        return Attachment("photo", best.file_id, best.file_unique_id, best.file_size,
                          "image/jpeg", f"photo_{best.file_unique_id}.jpg",
                          best.width, best.height)  # fmt: skip
    video = message.video or message.animation
    if video is not None:
        return Attachment("video", video.file_id, video.file_unique_id, video.file_size,
                          video.mime_type or "video/mp4", video.file_name or "video.mp4",
                          video.width, video.height, _seconds(video))  # fmt: skip
    doc = message.document
    if doc is not None:
        return Attachment("document", doc.file_id, doc.file_unique_id, doc.file_size,
                          doc.mime_type or "application/octet-stream",
                          doc.file_name or "file")  # fmt: skip
    return None


def too_big(attachments: Sequence[Attachment], lang: str | None = None) -> Reply | None:
    """The answer for files Telegram will not let a bot download."""
    big = [(a.name, a.size) for a in attachments if a.size is not None and a.size > MAX_DOWNLOAD]
    if not big:
        return None
    problems = [
        msg("{name} is {size} MB; Telegram lets bots fetch files up to {limit} MB.",
            name=name, size=f"{size / 2**20:.1f}", limit=MAX_DOWNLOAD >> 20)
        for name, size in big
    ]  # fmt: skip
    return render.problem(problems, SMALLER, lang)


def _placeholder(workspace_id: uuid.UUID, item: Attachment) -> MediaView:
    return MediaView(
        id=uuid.uuid4(), workspace_id=workspace_id, url="", storage_key="",
        content_type=item.mime, sha256="", size_bytes=item.size or 0, width=item.width,
        height=item.height, duration_seconds=item.duration, filename=item.name,
    )  # fmt: skip


async def precheck(
    svc: Services, ctx: ChatContext, me: Identity, request: str,
    attachments: Sequence[Attachment], lang: str | None = None,
) -> Reply | None:  # fmt: skip
    """What would stop ``request`` with these files from being scheduled, before downloading."""
    views = [_placeholder(me.workspace_id, a) for a in attachments]
    draft = await svc.talk.understand(ctx, me, request, views)
    problems = list(draft.problems)
    if draft.parsed.when is None and not any("time" in p for p in problems):
        problems.append(msg("I couldn't find a time."))
    if not draft.accounts and not draft.parsed.destinations and not any(
        "destination" in p for p in problems
    ):
        problems.append(
            msg("Say where to post: add `to mastodon` (or another account) before the colon.")
        )
    return render.problem(problems, lang=lang) if problems else None


async def fetch(svc: Services, bot: Bot, me: Identity, item: Attachment) -> MediaView:
    """Download one file from Telegram into the library, streamed, never over 20 MB."""
    try:
        remote = await bot.get_file(item.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise RequestProblem(
                [msg("{name} is over Telegram's {limit} MB limit for bots.",
                     name=item.name, limit=MAX_DOWNLOAD >> 20)],
                SMALLER,
            ) from None
        raise OutpostError(
            msg("Telegram would not hand over {name} ({why}).", name=item.name, why=exc.message),
            AGAIN,
        ) from None
    if not remote.file_path:
        raise OutpostError(msg("Telegram gave no download for {name}.", name=item.name), AGAIN)
    rt = svc.runtime
    timeout = aiohttp.ClientTimeout(total=120, sock_read=30)
    try:
        # The URL holds the bot token: it never reaches a log or an error message.
        async with rt.operator_http.get(remote.file_path, timeout=timeout) as resp:
            if resp.status != 200:
                raise OutpostError(
                    msg("Telegram answered {status} for {name}.", status=resp.status,
                        name=item.name), AGAIN,
                )  # fmt: skip

            async def chunks() -> AsyncIterator[bytes]:
                async for chunk in resp.content.iter_chunked(CHUNK):
                    yield chunk

            return await ingest_stream(
                rt, me.workspace_id, chunks(), filename=item.name, user_id=me.user_id,
                max_bytes=MAX_DOWNLOAD,
            )  # fmt: skip
    except (aiohttp.ClientError, TimeoutError):
        raise OutpostError(
            msg("I couldn't download {name} from Telegram.", name=item.name),
            msg("Send it again in a minute."),
        ) from None


async def schedule_with_media(
    svc: Services, bot: Bot, ctx: ChatContext, request: str, attachments: Sequence[Attachment],
    lang: str | None = None,
) -> Reply:  # fmt: skip
    """Check, then download, then schedule: one post carrying every attachment."""
    refused = too_big(attachments, lang)
    if refused is not None:
        return refused
    me = await svc.talk.identify(ctx)
    problem = await precheck(svc, ctx, me, request, attachments, lang)
    if problem is not None:
        return problem
    try:
        media = [await fetch(svc, bot, me, item) for item in attachments]
    except RequestProblem as exc:
        return render.problem(exc.problems, exc.hint, lang)
    return await svc.talk.handle(ctx, request, media)
