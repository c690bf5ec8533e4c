"""What the compose form shows: the person's input as sent, its counts, its preview, and
each problem placed beside the field it is about (``web.compose_form`` fills it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.counts import TextCount, network_labels
from scheduler.edits import Preview
from scheduler.runtime import Runtime
from scheduler.views import AccountView, MediaView, WorkspaceView

if TYPE_CHECKING:  # web.compose shows this form too, so it imports this module
    from web.compose import Upload

GENERAL, ACCOUNTS, WHEN = "", "accounts", "when"
# The scheduler's words for a missing or past time, shown beside the time field; the form
# says "pick a time" in its own words instead of the API's "`when` is required".
NO_TIME = "I couldn't find a time."
TIME_MSGIDS = frozenset({"{when} is in the past.", NO_TIME})
REPLACED_MSGIDS = frozenset({
    "`when` is required unless the post is a draft.",
    "Say where to post: add `to mastodon` (or another account) before the colon.",
})  # fmt: skip


@dataclass
class FormState:
    """What the form shows: the person's input as sent, and what is wrong with it where."""

    accounts: list[AccountView]
    tz: str
    labels: dict[str, str]
    checked: set[str] = field(default_factory=set)
    timing: str = "at"
    when: str = ""
    text: str = ""
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str = ""
    fit: bool = False
    media: list[MediaView] = field(default_factory=list)
    thumbs: dict[uuid.UUID, str] = field(default_factory=dict)
    counts: dict[str, TextCount] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    preview: Preview | None = None

    @property
    def networks(self) -> list[str]:
        """Each connected network once, in the accounts' order: one version tab each."""
        return list(dict.fromkeys(a.platform for a in self.accounts if a.status == "active"))

    @property
    def open_tab(self) -> str:
        """The tab shown first: a network with a problem, else the main text."""
        return next((n for n in self.networks if self.problems.get(n)), "main")

    @property
    def picked_variants(self) -> dict[str, str]:
        """The versions for networks a ticked account is on; the others are kept, not sent."""
        picked = {a.platform for a in self.accounts if str(a.id) in self.checked}
        return {n: v for n, v in self.variants.items() if n in picked}

    @property
    def has_problems(self) -> bool:
        return any(self.problems.values())


async def blank_form(runtime: Runtime, ws: WorkspaceView) -> FormState:
    """The form as first shown: nothing ticked, the time in the workspace's zone."""
    accounts = await runtime.workspaces.accounts(ws.id)
    labels = network_labels(runtime, {a.platform for a in accounts})
    return FormState(accounts, ws.timezone or "UTC", labels)


def fill(state: FormState, upload: Upload) -> None:
    networks = set(state.networks)
    state.checked = set(upload.fields.get("account", []))
    state.timing = "slot" if upload.first("timing") == "slot" else "at"
    state.when = upload.first("when").strip()
    state.text = upload.first("text").replace("\r\n", "\n")
    state.variants = {
        n: v.replace("\r\n", "\n") for n in networks if (v := upload.first(f"variant-{n}")).strip()
    }
    state.first_comment = upload.first("first_comment").replace("\r\n", "\n").strip()
    state.fit = upload.first("fit_media") == "1"


def complain(state: FormState, where: str, problem: str) -> None:
    if problem not in state.problems.setdefault(where, []):
        state.problems[where].append(problem)


def place(state: FormState, problem: str, timeless: bool = False) -> None:
    """Put ``problem`` beside its field; ``timeless`` when no time is due yet (a draft, or
    the next free slot, which the scheduler finds when it stores the post)."""
    msgid = getattr(problem, "msgid", None)
    if msgid in REPLACED_MSGIDS or (timeless and msgid == NO_TIME):
        return
    complain(state, WHEN if msgid in TIME_MSGIDS else GENERAL, problem)


def sort_problems(state: FormState, preview: Preview, timeless: bool) -> None:
    """Each problem of the preview beside the field it is about: a network's beside its tab."""
    by_network: set[str] = set()
    for dest in preview.destinations:
        for problem in dest.problems:
            complain(state, dest.platform, problem)
            by_network.add(problem)
    for problem in preview.problems:
        if problem not in by_network:
            place(state, problem, timeless)
