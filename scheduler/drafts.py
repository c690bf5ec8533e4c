"""A request understood and checked, before anything is stored: the ``Draft`` every use
case, preview and dry run starts from, and the one ``check`` that finds its problems per
destination (``Scheduler.understand`` reads chat text into it, ``draft_fields`` the API's
structured fields, ``check_parsed`` an edit of a stored post)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import RequestProblem
from core.i18n import Msg, msg
from scheduler.destinations import resolve
from scheduler.media.fit import fit
from scheduler.reader import ParsedRequest
from scheduler.requests import media_for
from scheduler.runtime import Runtime
from scheduler.versions import destination_check, version_problems
from storage.views import AccountView, MediaView

EXAMPLE = msg('Try: "{example}"', example=msg("tomorrow 9am to mastodon: We're live!"))
# A draft may lack a time and destinations: the reader's problems saying so do not stand.
DRAFT_MAY_LACK = frozenset({
    'I couldn\'t find a time in "{phrase}". Try: {example}',
    "I understood the time ({shown}) but found no destination. Add one "
    'with "to", e.g. "{phrase} to x: Hello"',
})  # fmt: skip


def draft_may_lack(problem: str) -> bool:
    """Whether ``problem`` only says a time or destination is missing (fine for a draft)."""
    return isinstance(problem, Msg) and problem.msgid in DRAFT_MAY_LACK


@dataclass(frozen=True)
class Draft:
    """A request as understood and checked, before anything is stored."""

    parsed: ParsedRequest
    accounts: tuple[AccountView, ...]
    problems: tuple[str, ...]
    media: tuple[MediaView, ...] = field(default_factory=tuple)
    # Problems among ``problems`` that asking for photos to be converted would fix.
    fixable: tuple[str, ...] = ()
    hint: str = EXAMPLE


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RequestProblem(
            [msg("“{zone}” is not a time zone I know.", zone=name)],
            msg('Use a name like "Europe/Berlin".'),
        ) from None
    return name


def all_problems(draft: Draft) -> list[str]:
    """Everything that keeps ``draft`` from being scheduled."""
    problems = list(draft.problems)
    # A chat with default destinations gives accounts to a request that names none.
    if (
        not draft.accounts
        and not draft.parsed.destinations
        and not any("destination" in p for p in problems)
    ):
        problems.append(
            msg("Say where to post: add `to mastodon` (or another account) before the colon.")
        )
    if draft.parsed.when is None and not draft.parsed.queued and not problems:
        problems.append(msg("I couldn't find a time."))
    return problems


async def check(
    rt: Runtime,
    workspace_id: uuid.UUID,
    parsed: ParsedRequest,
    media: tuple[MediaView, ...],
    thread: bool,
    fit_hint: str,
    user_id: uuid.UUID | None,
    defaults: Sequence[uuid.UUID] = (),
    known: Sequence[AccountView] | None = None,
) -> Draft:
    if "\x00" in parsed.text or any("\x00" in d for d in parsed.destinations):
        raise RequestProblem([msg("The request contains a NUL character (U+0000).")], EXAMPLE)
    # Media without text is a post, and so are versions or parts without a main text:
    # only the reader's other problems stand then.
    body = bool(media or parsed.variants or parsed.parts)
    problems = [p for p in parsed.problems if not (body and p in parsed.text_problems)]
    accounts = list(known) if known is not None else await rt.workspaces.accounts(workspace_id)
    chosen, unknown = resolve(parsed.destinations, accounts) if parsed.destinations else ([], [])
    if not parsed.destinations and defaults:
        chosen = [a for a in accounts if a.id in defaults and a.status == "active"]
        if not chosen:
            unknown.append(msg(
                "This chat's default destinations are no longer connected: name one "
                "(`tomorrow 9am to mastodon: …`) or set them again with `defaults to …`."
            ))  # fmt: skip
    problems.extend(unknown)
    targets = [p for a in chosen if (p := rt.publishers.get(a.platform)) is not None]
    fitted = await fit(
        rt, workspace_id, media, targets, allow_lossy=parsed.fit_media, user_id=user_id
    )
    media = fitted.media
    unstored = {str(m.id) for m in media if not m.storage_key}
    if not parsed.text.strip() and not media and not parsed.variants and not parsed.parts:
        problems.append(msg("The post has no text: write it after the colon."))
    problems.extend(version_problems(parsed, (a.platform for a in chosen)))
    fixable: list[str] = []
    files = tuple(media_for(m, None) for m in media)
    for account in chosen:
        publisher = rt.publishers.get(account.platform)
        if publisher is None:
            problems.append(
                msg("{platform} is not supported by this Outpost.", platform=account.platform)
            )
            continue
        found, fixes = destination_check(
            publisher, parsed, account, files, thread, unstored, set(fitted.lossy_ok)
        )
        problems.extend(found)
        fixable.extend(fixes)
    problems.extend(fitted.failed)
    return Draft(
        parsed,
        tuple(chosen),
        tuple(dict.fromkeys(problems)),
        media,
        tuple(dict.fromkeys(fixable)),
        fit_hint if fixable else EXAMPLE,
    )
