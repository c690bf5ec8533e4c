"""The use cases every adapter calls: schedule, reschedule, edit, cancel, retry, list, get.

Rows are committed before jobs are queued; a queue failure leaves the post for the reconciler,
never a job without a post. Each change then emits its own callback event (``post.scheduled``,
``post.rescheduled``, ``post.edited``, ``post.cancelled``), so the workspace's endpoints hear of
it whichever adapter asked: a chat, the calendar, the shell, the API or an inbound hook.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import LimitReached, RequestProblem
from core.i18n import msg
from core.plans import Plan
from core.slots import NoFreeSlot
from core.states import HELD_POST_STATUSES, CallbackEvent, PostStatus, Role
from publishers.base import Publisher, PublishRequest
from scheduler.approval import held, submit_draft
from scheduler.drafts import EXAMPLE, Draft, all_problems, check, draft_may_lack
from scheduler.hooks.callbacks import emit
from scheduler.media.alt import attach_alts
from scheduler.media.fit import FIELDS_HINT, NeedsConversion, request_hint
from scheduler.plans import month_start, quota, refused, workspace_plan
from scheduler.publishing.horizon import queue_jobs
from scheduler.reader import ParsedRequest, read_request
from scheduler.reader.trailing import read_with_lines, with_parts
from scheduler.reorder import pull_forward, swap, swap_with
from scheduler.requests import account_for, media_for
from scheduler.roles import check_can_schedule, needs_approval
from scheduler.runtime import Runtime
from scheduler.slots import no_free_problem, queued_after_move, slot_choice
from scheduler.versions import clean_variants
from storage.views import AccountView, Job, MediaView, NewPost, PostView

Stored = Callable[[PostView], Awaitable[None]]
PAST_GRACE = timedelta(seconds=60)
class Scheduler:
    """Platform-neutral commands over a ``Runtime``."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def understand(
        self,
        workspace_id: uuid.UUID,
        request: str,
        *,
        tz: str,
        media: Sequence[MediaView] = (),
        thread: bool = False,
        fit_media: bool = False,
        user_id: uuid.UUID | None = None,
        defaults: Sequence[uuid.UUID] = (),
        accounts: Sequence[AccountView] | None = None,
        thread_parts: Sequence[str] | None = None,
    ) -> Draft:
        """Parse and check a request without storing anything (the preview).

        Photos are converted to fit when that loses nothing, or when asked (``fit_media`` or
        the request's leading ``fit``); converted files are stored even if nothing is scheduled.
        Trailing lines (``scheduler.reader.trailing``) describe the files (``alt:``), give
        networks their own versions (``x: …``) and a first comment; ``---`` lines split the
        text into a thread's parts, and ``thread_parts`` (a chat thread's messages) follow
        them. ``defaults`` are the accounts a request naming no destination goes to.
        """
        parsed, alts = read_with_lines(
            request,
            read=lambda head: read_request(
                head, now=self.rt.clock.now(), tz=tz, defaults=bool(defaults)
            ),
            extra=thread_parts,
        )
        files, unmatched = attach_alts(media, alts)
        parsed = replace(
            parsed,
            problems=(*parsed.problems, *unmatched),
            fit_media=parsed.fit_media or fit_media,
        )
        thread = thread or bool(parsed.parts)
        return await check(
            self.rt,
            workspace_id,
            parsed,
            files,
            thread,
            request_hint(request),
            user_id,
            defaults,
            accounts,
        )

    async def check_parsed(
        self,
        workspace_id: uuid.UUID,
        parsed: ParsedRequest,
        media: Sequence[MediaView],
        thread: bool = False,
    ) -> Draft:
        """Check a request already read (an edit of a stored post, ``scheduler.edits``)."""
        return await check(self.rt, workspace_id, parsed, tuple(media), thread, "", None)

    def publisher(self, platform: str) -> Publisher | None:
        return self.rt.publishers.get(platform)

    async def schedule(
        self,
        workspace_id: uuid.UUID,
        request: str,
        *,
        tz: str,
        user_id: uuid.UUID | None = None,
        media: Sequence[MediaView] = (),
        origin: dict[str, Any] | None = None,
        callback_url: str | None = None,
        thread: bool = False,
        fit_media: bool = False,
        defaults: Sequence[uuid.UUID] = (),
        accounts: Sequence[AccountView] | None = None,
        listening: bool | None = None,
        plan: Plan | None = None,
        role: str = Role.EDITOR,
        as_draft: bool = False,
        thread_parts: Sequence[str] | None = None,
    ) -> PostView:
        """Schedule a request typed in a chat, the shell or the API's ``request`` field.

        ``accounts``, ``listening`` (whether the workspace has a callback endpoint) and
        ``plan``: what the caller has just read (the API reads them with the workspace in one
        statement); read here when None. ``role`` is the asker's (``scheduler.roles``): a
        viewer is refused, and where approval is required a non-approver's post waits for one.
        ``as_draft`` saves it, with or without a time or destinations, and queues nothing.
        """
        check_can_schedule(role)
        draft = await self.understand(
            workspace_id,
            request,
            tz=tz,
            media=media,
            thread=thread,
            fit_media=fit_media,
            user_id=user_id,
            defaults=defaults,
            accounts=accounts,
            thread_parts=thread_parts,
        )
        return await self._store(
            workspace_id, draft, user_id, origin, callback_url, thread, listening=listening,
            plan=plan, role=role, as_draft=as_draft,
        )  # fmt: skip

    async def schedule_fields(
        self,
        workspace_id: uuid.UUID,
        *,
        text: str,
        when: datetime | None,
        destinations: Sequence[str],
        tz: str = "UTC",
        user_id: uuid.UUID | None = None,
        media: Sequence[MediaView] = (),
        origin: dict[str, Any] | None = None,
        callback_url: str | None = None,
        thread: bool = False,
        fit_media: bool = False,
        on_stored: Stored | None = None,
        accounts: Sequence[AccountView] | None = None,
        listening: bool | None = None,
        plan: Plan | None = None,
        role: str = Role.EDITOR,
        as_draft: bool = False,
        variants: Mapping[str, str] | None = None,
        first_comment: str | None = None,
        parts: Sequence[str] = (),
        queued: bool = False,
        evergreen_days: int | None = None,
    ) -> PostView:
        """Schedule from structured fields (the REST API, inbound hooks, the compose form).

        ``when`` may be None only for a draft (``as_draft``) or a ``queued`` post (its time is
        the next free queue slot, ``scheduler.slots``); ``role`` as in ``schedule``.
        ``variants`` ({network: text}) and ``first_comment`` as in ``ParsedRequest``;
        ``evergreen_days``: the post comes back into the queue after each publish.

        ``on_stored`` runs once the post is committed and queued, before its event goes out:
        an inbound hook records which post its delivery made, so a failure after that point
        cannot make a redelivery schedule the post twice.
        """
        draft = await self.draft_fields(
            workspace_id, text=text, when=when, destinations=destinations, tz=tz,
            user_id=user_id, media=media, thread=thread, fit_media=fit_media,
            accounts=accounts, role=role, as_draft=as_draft, variants=variants,
            first_comment=first_comment, parts=parts, queued=queued,
            evergreen_days=evergreen_days,
        )  # fmt: skip
        return await self._store(
            workspace_id,
            draft,
            user_id,
            origin,
            callback_url,
            thread,
            on_stored,
            listening,
            plan,
            role=role,
            as_draft=as_draft,
        )

    async def draft_fields(
        self,
        workspace_id: uuid.UUID,
        *,
        text: str,
        when: datetime | None,
        destinations: Sequence[str],
        tz: str = "UTC",
        user_id: uuid.UUID | None = None,
        media: Sequence[MediaView] = (),
        thread: bool = False,
        fit_media: bool = False,
        accounts: Sequence[AccountView] | None = None,
        role: str = Role.EDITOR,
        as_draft: bool = False,
        variants: Mapping[str, str] | None = None,
        first_comment: str | None = None,
        parts: Sequence[str] = (),
        queued: bool = False,
        evergreen_days: int | None = None,
    ) -> Draft:
        """Structured fields understood and checked, before anything is stored.

        ``variants`` ({network: text}) give networks their own text (``scheduler.versions``);
        ``parts`` make a thread; ``first_comment`` follows the post where a network has
        comments."""
        check_can_schedule(role)
        now = self.rt.clock.now()
        problems: list[str] = []
        queued = queued or evergreen_days is not None
        if queued:
            when = None
        elif when is None:
            if not as_draft:
                problems.append(msg("`when` is required unless the post is a draft."))
        elif when.tzinfo is None:
            problems.append(msg("`when` needs a time zone offset, e.g. 2026-12-03T10:30:00+01:00."))
            when = when.replace(tzinfo=ZoneInfo(tz))
        elif when < now - PAST_GRACE:
            problems.append(msg("{when} is in the past.", when=when.isoformat()))
        parts = tuple(p.strip() for p in parts)
        if any(not p for p in parts):
            problems.append(msg("A part of the thread is empty: give each part some text."))
        parsed = ParsedRequest(
            when=when,
            timezone=tz,
            recurrence=None,
            destinations=tuple(d.strip().lower() for d in destinations),
            text=text,
            problems=tuple(problems),
            fit_media=fit_media,
            variants=clean_variants(dict(variants or {})),
            first_comment=(first_comment or "").strip() or None,
            queued=queued,
            evergreen_days=evergreen_days,
        )
        if parts:  # the whole thread: the parts replace the text
            parsed = with_parts(replace(parsed, text=""), parts)
        return await check(
            self.rt,
            workspace_id, parsed, tuple(media), thread or bool(parts), FIELDS_HINT, user_id,
            known=accounts,
        )  # fmt: skip

    async def _store(
        self,
        workspace_id: uuid.UUID,
        draft: Draft,
        user_id: uuid.UUID | None,
        origin: dict[str, Any] | None,
        callback_url: str | None,
        thread: bool,
        on_stored: Stored | None = None,
        listening: bool | None = None,
        plan: Plan | None = None,
        *,
        role: str = Role.EDITOR,
        as_draft: bool = False,
    ) -> PostView:
        parsed = draft.parsed
        if as_draft:
            problems = [p for p in draft.problems if not draft_may_lack(p)]
        else:
            problems = all_problems(draft)
        if problems and draft.fixable:
            raise NeedsConversion(problems, draft.hint)
        queued = parsed.queued and not as_draft
        if problems or (parsed.when is None and not as_draft and not queued):
            raise RequestProblem(problems or [msg("I couldn't find a time.")], EXAMPLE)
        now = self.rt.clock.now()
        slot = None if as_draft else await slot_choice(
            self.rt, workspace_id, parsed, draft.accounts, now
        )
        when = max(parsed.when or now, now)
        if plan is None:
            plan = await workspace_plan(self.rt, workspace_id)
        account_ids = tuple(a.id for a in draft.accounts)
        status = PostStatus.SCHEDULED
        if as_draft:
            status = PostStatus.DRAFT
        elif await needs_approval(self.rt, workspace_id, role, account_ids):
            status = PostStatus.PENDING_APPROVAL
        new = NewPost(
            workspace_id=workspace_id,
            user_id=user_id,
            # With a version for every destination the main text is never sent: it shows.
            content=parsed.text or next(iter(parsed.variants.values()), ""),
            scheduled_at=when,
            timezone=parsed.timezone,
            account_ids=account_ids,
            media_ids=tuple(m.id for m in draft.media),
            media_alts=tuple(m.alt for m in draft.media),
            recurrence=parsed.recurrence,
            thread=thread or bool(parsed.parts),
            origin=origin or {},
            callback_url=callback_url,
            status=status,
            untimed=parsed.when is None and not queued,
            variants=parsed.variants,
            first_comment=parsed.first_comment,
            parts=parsed.parts,
            evergreen_days=parsed.evergreen_days,
            queued=queued or slot is not None,
        )
        # Counted and inserted under the workspace's row lock: two creates racing for the
        # month's last post cannot both get it (storage.usage). Drafts are not counted.
        limit = (None if status == PostStatus.DRAFT
                 else quota(self.rt, plan, "posts_per_month", month_start(now)))  # fmt: skip
        try:
            post = await self.rt.posts.create(new, limit, slot)
        except LimitReached as exc:
            raise await refused(self.rt, workspace_id, plan, exc) from None
        except NoFreeSlot:
            raise no_free_problem(draft.accounts, day=not parsed.queued) from None
        if status == PostStatus.SCHEDULED:
            await queue_jobs(self.rt, [Job(d.id, d.revision, d.due_at) for d in post.destinations])
        if on_stored is not None:
            await on_stored(post)
        if status == PostStatus.SCHEDULED:
            await emit(self.rt, post, CallbackEvent.POST_SCHEDULED, listening=listening)
        elif status == PostStatus.PENDING_APPROVAL:
            await held(self.rt, post, user_id)
        return post

    async def get(self, workspace_id: uuid.UUID, post_id: uuid.UUID) -> PostView:
        return await self.rt.posts.get(post_id, workspace_id)

    async def list(
        self,
        workspace_id: uuid.UUID,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        statuses: Sequence[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[PostView]:
        return await self.rt.posts.search(workspace_id, start, end, statuses, limit, offset)

    async def reschedule(
        self,
        workspace_id: uuid.UUID | None,
        post_id: uuid.UUID,
        when: datetime,
        *,
        role: str = Role.EDITOR,
        user_id: uuid.UUID | None = None,
        queued: bool | None = False,
    ) -> PostView:
        """Move a post; a draft given a time is scheduled (or waits for approval). A time a
        person picks takes a post out of its queue unless it is another of the queue's slots;
        the queue's own moves keep it (None)."""
        check_can_schedule(role)
        now = self.rt.clock.now()
        if when < now - PAST_GRACE:
            raise RequestProblem(
                [msg("{when} is in the past.", when=when.isoformat())], msg("Pick a later time.")
            )
        current = await self.rt.posts.get(post_id, workspace_id)
        if current.status == PostStatus.DRAFT:
            return await submit_draft(self.rt, current, max(when, now), role, user_id)
        when = max(when, now)
        if queued is False:  # a person's move, not the queue's own
            accounts = [d.account_id for d in current.destinations]
            queued = await queued_after_move(self.rt, current, accounts, when)
        post, jobs = await self.rt.posts.reschedule(workspace_id, post_id, when, queued=queued)
        if post.status not in HELD_POST_STATUSES:
            await queue_jobs(self.rt, jobs)
        await emit(self.rt, post, CallbackEvent.POST_RESCHEDULED)
        return post

    async def post_now(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, *, role: str = Role.EDITOR,
        user_id: uuid.UUID | None = None,
    ) -> PostView:  # fmt: skip
        return await self.reschedule(
            workspace_id, post_id, self.rt.clock.now(), role=role, user_id=user_id
        )

    async def edit(
        self, workspace_id: uuid.UUID | None, post_id: uuid.UUID, text: str, *,
        role: str = Role.EDITOR, user_id: uuid.UUID | None = None,
    ) -> PostView:  # fmt: skip
        """Change a post's text. Where approval is required, a scheduled post edited by
        someone who is not an approver waits for approval again (approved was the old text)."""
        check_can_schedule(role)
        current = await self.rt.posts.get(post_id, workspace_id)
        problems: list[str] = []
        accounts = {a.id: a for a in await self.rt.workspaces.accounts(current.workspace_id)}
        for dest in current.destinations:
            publisher = self.publisher(dest.platform)
            account = accounts.get(dest.account_id)
            if publisher is None or account is None:
                continue
            request = PublishRequest(
                destination_id="",
                idempotency_key="",
                text=current.variants.get(dest.platform) or text,  # a version stays as it is
                account=account_for(account, None),
                media=tuple(media_for(m, None) for m in current.media),
                thread=current.thread,
            )
            problems.extend(p.text() for p in publisher.validate(request))
        if problems:
            raise RequestProblem(problems, msg("Shorten the text or split it into a thread."))
        post, jobs = await self.rt.posts.edit(workspace_id, post_id, text)
        again = post.status == PostStatus.SCHEDULED and await needs_approval(
            self.rt, post.workspace_id, role, [d.account_id for d in post.destinations]
        )
        if again:
            moved = await self.rt.approvals.move(
                post.workspace_id, post.id, PostStatus.SCHEDULED, PostStatus.PENDING_APPROVAL
            )
            post = moved[0] if moved is not None else post
        elif post.status not in HELD_POST_STATUSES:
            await queue_jobs(self.rt, jobs)
        await emit(self.rt, post, CallbackEvent.POST_EDITED)
        if post.status == PostStatus.PENDING_APPROVAL and again:
            await held(self.rt, post, user_id)
        return post

    async def cancel(self, workspace_id: uuid.UUID | None, post_id: uuid.UUID) -> PostView:
        """Cancel a post; a queued one's later queue-mates move up a slot each when the
        workspace pulls its queue forward (``scheduler.reorder``)."""
        post = await self.rt.posts.cancel(workspace_id, post_id)
        await emit(self.rt, post, CallbackEvent.POST_CANCELLED)
        await pull_forward(self.rt, post, partial(self.reschedule, queued=None))
        return post

    async def move(
        self, workspace_id: uuid.UUID, post_id: uuid.UUID, direction: str, *,
        role: str = Role.EDITOR,
    ) -> tuple[PostView, PostView]:  # fmt: skip
        """``move ID up|down``: swap a queued post's time with its neighbour in the queue."""
        check_can_schedule(role)
        return await swap(self.rt, workspace_id, post_id, direction)

    async def swap(
        self, workspace_id: uuid.UUID, post_id: uuid.UUID, other_id: uuid.UUID, *,
        role: str = Role.EDITOR,
    ) -> tuple[PostView, PostView]:  # fmt: skip
        """Swap the times of two queued posts of the same queue (drag and drop)."""
        check_can_schedule(role)
        return await swap_with(self.rt, workspace_id, post_id, other_id)

    async def retry(self, workspace_id: uuid.UUID | None, post_id: uuid.UUID) -> PostView:
        post, jobs = await self.rt.posts.retry(workspace_id, post_id, self.rt.clock.now())
        await queue_jobs(self.rt, jobs)
        return post
