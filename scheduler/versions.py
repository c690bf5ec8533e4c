"""What each destination is sent of a request: its network's version, a thread's parts, the
first comment, and what its network would refuse of each (checked when scheduling).

One place for the rules, used by ``Scheduler._check`` and ``scheduler.preview``:

- a version (``x: …`` or the API's ``variants``) replaces the main text for that network only;
  a version for a network the post does not go to is refused, and the main text may be left
  out only when every destination has its own version;
- a thread's parts are each checked against each network's limit; a network without threads
  is refused by name;
- a first comment is checked against the comment limit of each network that takes one
  (``Publisher.comment_kind``, ``max_comment_length``); networks without comments (Discord,
  Slack, Telegram, webhooks) post without it, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.i18n import msg
from publishers.base import Media, Problem, Publisher, PublishRequest
from publishers.catalog import TEXT_RULES, canonical_platform
from scheduler.media.fit import Checked, checked
from scheduler.reader import ParsedRequest
from scheduler.requests import account_for
from storage.views import AccountView


def text_for(parsed: ParsedRequest, platform: str) -> str:
    """The text ``platform`` is sent: its version, else the main text."""
    return parsed.variants.get(platform) or parsed.text


def takes_comments(publisher: Publisher) -> bool:
    """Whether a first comment can follow a post on ``publisher``'s network (as a reply or a
    comment, ``scheduler.publishing.steps``)."""
    return bool(publisher.comment_kind)


def label(publisher: Publisher) -> str:
    return publisher.label or publisher.platform


@dataclass(frozen=True)
class Piece:
    """One message a destination gets: the post, a thread's part N, or the first comment."""

    request: PublishRequest
    part: int = 0  # 1-based in a thread of ``count`` parts; 0 for a single post
    count: int = 0
    comment: bool = False


def pieces(
    publisher: Publisher,
    parsed: ParsedRequest,
    account: AccountView,
    media: Sequence[Media],
    thread: bool,
) -> list[Piece]:
    """What ``account`` would be sent, message by message (files go with the first)."""
    who = account_for(account, None)

    def request(text: str, files: Sequence[Media] = (), many: bool = False) -> PublishRequest:
        return PublishRequest("", "", text, who, tuple(files), thread=many)

    if parsed.parts:
        count = len(parsed.parts)
        out = [
            Piece(request(p, media if n == 1 else ()), n, count)
            for n, p in enumerate(parsed.parts, start=1)
        ]
    else:
        out = [Piece(request(text_for(parsed, account.platform), media, thread))]
    if parsed.first_comment and takes_comments(publisher):
        out.append(Piece(request(parsed.first_comment), comment=True))
    return out


def _framed(problem: Problem, piece: Piece) -> str:
    if piece.comment:
        return msg("{destination} (first comment): {message}",
                   destination=problem.destination, message=problem.message)  # fmt: skip
    if piece.count:
        return msg("{destination} (part {n} of {count}): {message}",
                   destination=problem.destination, n=piece.part, count=piece.count,
                   message=problem.message)  # fmt: skip
    return problem.text()


def destination_check(
    publisher: Publisher,
    parsed: ParsedRequest,
    account: AccountView,
    media: Sequence[Media],
    thread: bool,
    unstored: set[str],
    lossy_ok: set[str],
) -> tuple[list[str], list[str]]:
    """(problems, those converting photos would fix) of sending ``parsed`` to ``account``."""
    if parsed.parts and not publisher.supports_threads:
        name = account.handle or label(publisher)
        return [msg(
            "{destination}: {network} has no threads; remove it from the destinations, or "
            "post one text there without `---` (or send the thread to x, bluesky, mastodon "
            "or threads)", destination=name, network=label(publisher),
        )], []  # fmt: skip
    if parsed.variants and not media and not text_for(parsed, account.platform).strip():
        return [], []  # no main text and no version: ``version_problems`` says so once
    problems: list[str] = []
    fixable: list[str] = []
    for piece in pieces(publisher, parsed, account, media, thread):
        if piece.comment:  # a comment has its own limit (LinkedIn's 1,250), not the post's
            comment = PublishRequest("", "", "", piece.request.account,
                                     first_comment=piece.request.text)  # fmt: skip
            problems.extend(p.text() for p in publisher.step_problems(comment))
            continue
        found: Checked = checked(publisher, piece.request, unstored, lossy_ok)
        problems.extend(_framed(p, piece) for p in found.problems)
        fixable.extend(_framed(p, piece) for p in found.fixable)
    return problems, fixable


def version_problems(parsed: ParsedRequest, platforms: Iterable[str]) -> list[str]:
    """Versions for networks the post does not go to; a missing main text some need."""
    going = set(platforms)
    problems: list[str] = [
        msg("There is a version for {network}, but the post does not go to {network}: add it "
            "to the destinations (`to {platform}`) or remove the `{platform}:` line.",
            network=_label(p), platform=p)
        for p in parsed.variants
        if going and p not in going
    ]  # fmt: skip
    lacking = sorted(p for p in going if p not in parsed.variants)
    if not parsed.text.strip() and not parsed.parts and parsed.variants and lacking:
        problems.append(msg(
            "There is no main text for {networks}: write it after the colon, or give each "
            "destination its own version (`{platform}: …`).",
            networks=", ".join(_label(p) for p in lacking), platform=lacking[0],
        ))  # fmt: skip
    if parsed.parts and parsed.variants:
        problems.append(msg(
            "A thread (`---` or a chat thread) cannot have versions per network too: send the "
            "thread, or one text with its versions."
        ))  # fmt: skip
    return problems


def _label(platform: str) -> str:
    rule = TEXT_RULES.get(platform)
    return rule.label if rule else platform


def comment_notes(parsed: ParsedRequest, publishers: Iterable[Publisher]) -> list[str]:
    """ "No first comment on Discord": the destinations that post without the comment."""
    if not parsed.first_comment:
        return []
    without = sorted({label(p) for p in publishers if not takes_comments(p)})
    notes: list[str] = [msg("No first comment on {networks}: they have no comments.",
                              networks=", ".join(without))]  # fmt: skip
    return notes if without else []


def clean_variants(given: dict[str, str]) -> dict[str, str]:
    """An API's ``variants`` by canonical network name (``twitter`` is ``x``), blanks dropped."""
    return {canonical_platform(k): v.strip() for k, v in given.items() if v.strip()}
