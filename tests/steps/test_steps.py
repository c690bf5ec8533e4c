"""Threads and first comments are steps after a post: each sent once, in order, by the worker;
a failing one does not undo the post, and Retry sends it (and only it) again (issue #19)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import render
from core.errors import Conflict
from publishers.text import split_thread
from publishers.x_text import split_posts
from scheduler.notifier import NO_COMMENTS, PART_BROKEN, PostResult, StepResult, step_worded
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from scheduler.slots import parse_slots
from storage.views import PostView
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.helpers import team
from tests.steps.support import Fakes, comments_of, connect, posts_of, running
from tests.support import wait_for

NETWORKS = ("x", "bluesky", "mastodon", "linkedin", "facebook")
PARTS = [f"Part {n} of our launch story, told in five short posts." for n in range(1, 6)]


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with running() as started:
        yield started


async def _done(rt: Runtime, post_id: object) -> PostView:
    async def finished() -> bool:
        return (await rt.posts.get(post_id)).status in ("published", "partially_published",
                                                        "failed")  # fmt: skip

    await wait_for(finished, timeout=30)
    return await rt.posts.get(post_id)


async def test_a_first_comment_follows_the_post_on_every_network(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="We're live!", when=runtime.clock.now(), destinations=list(NETWORKS),
        first_comment="Details: https://example.com/launch",
    )  # fmt: skip
    done = await _done(runtime, post.id)
    assert done.status == "published"
    for network in NETWORKS:
        assert posts_of(fakes, network) == ["We're live!"], network
        [(text, answers)] = comments_of(fakes, network)
        assert text == "Details: https://example.com/launch", network
        dest = next(d for d in done.destinations if d.platform == network)
        assert answers in (dest.platform_post_id, dest.platform_post_id.rsplit("_", 1)[-1])
        assert [(s.kind, s.status) for s in dest.steps] == [("post", "sent"), ("comment", "sent")]
        assert dest.steps[0].remote_id == dest.platform_post_id
    report = render.result(PostResult.from_view(done))
    assert report.count("first comment posted") == len(NETWORKS), report


async def test_a_five_part_thread_goes_out_in_order_once(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="", when=runtime.clock.now(), destinations=["x", "bluesky"], parts=PARTS,
        first_comment="Thanks for reading",
    )  # fmt: skip
    done = await _done(runtime, post.id)
    assert done.status == "published"
    x_chain = [p["_sent_text"] for p in fakes.x.posts]
    assert x_chain == [*PARTS, "Thanks for reading"]
    replies = [p["in_reply_to"] for p in fakes.x.posts]
    assert replies == [None] + [p["id"] for p in fakes.x.posts[:-1]]
    records = [fakes.bluesky.records[k]["value"] for k in fakes.bluesky.created_keys()]
    assert [r["text"] for r in records] == [*PARTS, "Thanks for reading"]
    uris = fakes.bluesky.uris()
    assert [r["reply"]["parent"]["uri"] for r in records[1:]] == uris[:-1]
    assert all(r["reply"]["root"]["uri"] == uris[0] for r in records[1:])
    for dest in done.destinations:
        assert [s.status for s in dest.steps] == ["sent"] * 6


async def test_a_failed_comment_leaves_the_post_published_and_says_so(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    fakes.linkedin.fail_next("none")  # the post
    fakes.linkedin.fail_next("403")  # the comment
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="Hello LinkedIn", when=runtime.clock.now(), destinations=["linkedin"],
        first_comment="More in the comments",
    )  # fmt: skip
    done = await _done(runtime, post.id)
    assert done.status == "published"
    [dest] = done.destinations
    assert dest.status == "success"
    assert [(s.kind, s.status) for s in dest.steps] == [("post", "sent"), ("comment", "failed")]
    assert fakes.linkedin.comments == []
    report = render.result(PostResult.from_view(done))
    assert dest.platform_url in report
    assert "first comment failed" in report
    assert "reconnect" in report.lower()
    # Retry is offered (the report's button, the post's buttons) for the comment alone.
    assert done.retryable
    assert render.post_buttons(done)[0].action == "retry"
    assert PostResult.from_view(done).retryable
    error = dest.steps[1].error or ""
    assert error.startswith("LinkedIn answered 403")
    assert error.count("Retry") == 1, error
    # The 403 asked for a reconnect; connecting the account again makes Retry work.
    [account] = [a for a in await runtime.workspaces.accounts(ws.id) if a.platform == "linkedin"]
    assert account.status == "reconnect"
    await runtime.workspaces.add_account(
        ws.id, "linkedin", account.handle, runtime.cipher.encrypt("li-token"),
        base_url=account.base_url, settings=dict(account.settings),
    )  # fmt: skip
    await Scheduler(runtime).retry(ws.id, post.id)

    async def commented() -> bool:
        view = await runtime.posts.get(post.id)
        return view.status == "published" and view.destinations[0].steps[1].status == "sent"

    await wait_for(commented, timeout=30)
    again = await runtime.posts.get(post.id)
    assert posts_of(fakes, "linkedin") == ["Hello LinkedIn"]
    [(text, on)] = comments_of(fakes, "linkedin")
    assert (text, on) == ("More in the comments", dest.platform_post_id)
    [after] = again.destinations
    assert after.platform_url == dest.platform_url
    assert after.published_at == dest.published_at  # the post's own time, not the retry's
    assert not again.retryable
    report = render.result(PostResult.from_view(again))
    assert "first comment posted" in report, report
    with pytest.raises(Conflict):
        await Scheduler(runtime).retry(ws.id, post.id)


async def test_a_thread_that_breaks_says_which_parts_are_out(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    fakes.x.fail_next("none", count=2)  # parts 1 and 2
    fakes.x.fail_next("400")  # part 3 refused
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="", when=runtime.clock.now(), destinations=["x"], parts=PARTS,
    )  # fmt: skip
    done = await _done(runtime, post.id)
    [dest] = done.destinations
    assert dest.status == "success"
    assert [p["_sent_text"] for p in fakes.x.posts] == PARTS[:2]
    statuses = [s.status for s in dest.steps]
    assert statuses == ["sent", "sent", "failed", "skipped", "skipped"]
    report = render.result(PostResult.from_view(done))
    assert "parts 1–2 of 5 out" in report, report
    assert "part 3 failed" in report, report
    # Retry resumes the chain at part 3: parts 1 and 2 are not sent again.
    assert dest.steps_to_retry() == [3, 4, 5]
    await Scheduler(runtime).retry(done.workspace_id, post.id)

    async def whole() -> bool:
        view = await runtime.posts.get(post.id)
        steps = [s.status for s in view.destinations[0].steps]
        return view.status == "published" and steps == ["sent"] * 5

    await wait_for(whole, timeout=30)
    assert [p["_sent_text"] for p in fakes.x.posts] == PARTS
    replies = [p["in_reply_to"] for p in fakes.x.posts]
    assert replies == [None] + [p["id"] for p in fakes.x.posts[:-1]]


async def test_a_comment_linkedin_cannot_confirm_is_reported_not_resent(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    # A member's account: reading comments back needs r_member_social, closed to new apps.
    ws = await runtime.workspaces.create("member", "UTC")
    await runtime.workspaces.add_account(
        ws.id, "linkedin", "ada", runtime.cipher.encrypt("li-token"), base_url=fakes.linkedin.url,
        settings={"web_url": fakes.linkedin.url},
    )  # fmt: skip
    fakes.linkedin.fail_next("none")  # the post
    fakes.linkedin.fail_next("500_after_create")  # the comment is made, the answer is a 500
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="Member post", when=runtime.clock.now(), destinations=["linkedin"],
        first_comment="Link in the comments",
    )  # fmt: skip
    done = await _done(runtime, post.id)
    [dest] = done.destinations
    assert dest.status == "success"
    assert len(fakes.linkedin.comments) == 1  # looked for, could not tell, never sent again
    [_, comment] = dest.steps
    assert comment.status == "failed"
    assert "may have been posted" in (comment.error or "")
    report = render.result(PostResult.from_view(done), lang="es")
    assert "el primer comentario falló" in report, report
    assert "LinkedIn no confirmó el primer comentario" in report, report
    # Retry has nothing it may send: the person checks LinkedIn first.
    assert not done.retryable
    assert render.post_buttons(done) == ()
    with pytest.raises(Conflict):
        await Scheduler(runtime).retry(ws.id, post.id)
    assert len(fakes.linkedin.comments) == 1


async def test_networks_without_comments_say_the_comment_was_skipped(
    runtime: Runtime, worker: object, receiver: FakeWebhookReceiver
) -> None:
    crew = await team(runtime, webhook_url=receiver.url, webhook_secret=receiver.secret)
    post = await Scheduler(runtime).schedule_fields(
        crew.workspace.id, text="To the hook", when=runtime.clock.now(), destinations=["webhook"],
        first_comment="Not for hooks",
    )  # fmt: skip
    done = await _done(runtime, post.id)
    assert done.status == "published"
    [dest] = done.destinations
    assert [(s.kind, s.status) for s in dest.steps] == [("post", "sent"), ("comment", "skipped")]
    assert len(receiver.deliveries) == 1
    report = render.result(PostResult.from_view(done))
    assert "first comment not posted: Webhook has no comments" in report, report


async def test_a_long_text_with_thread_set_is_split_each_networks_way(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    text = " ".join(f"Sentence {n} of a long announcement." for n in range(1, 31))
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text=text, when=runtime.clock.now(), destinations=["x", "mastodon"], thread=True,
    )  # fmt: skip
    done = await _done(runtime, post.id)
    assert done.status == "published"
    x_parts = split_posts(text)
    assert [p["_sent_text"] for p in fakes.x.posts] == x_parts
    assert [s["text"] for s in fakes.mastodon.statuses] == split_thread(text, 500)
    chain = [s["in_reply_to_id"] for s in fakes.mastodon.statuses]
    assert chain == [None] + [s["id"] for s in fakes.mastodon.statuses[:-1]]
    by_network = {d.platform: d for d in done.destinations}
    assert len(by_network["x"].steps) == len(x_parts) > len(by_network["mastodon"].steps) > 1


def test_the_report_says_which_parts_went_out_in_the_askers_language() -> None:
    done = (
        StepResult(1, "post", "sent", "https://x.com/o/1", None),
        StepResult(2, "part", "failed", None, "X answered 400: refused"),
        StepResult(3, "part", "skipped", None, step_worded(PART_BROKEN.format(n=2))),
        StepResult(4, "comment", "skipped", None, step_worded(NO_COMMENTS.format(network="X"))),
    )
    assert render.steps(done) == [
        "⚠️ only the first of 3 parts is out",
        "part 2 failed: X answered 400: refused",
        "💬 first comment not posted: X has no comments; the first comment was not posted.",
    ]
    assert render.steps(done, "ru")[0] == "⚠️ опубликована только первая из 3 частей"
    assert render.steps(done, "fr")[2] == (
        "💬 premier commentaire non publié : X n’a pas de commentaires ; le premier "
        "commentaire n’a pas été publié."
    )


async def test_retrying_an_evergreen_posts_comment_makes_no_second_copy(
    runtime: Runtime, worker: object, fakes: Fakes
) -> None:
    ws, _ = await connect(runtime, fakes)
    await runtime.slots.replace(ws.id, None, parse_slots("daily 9:00"))
    fakes.linkedin.fail_next("none")
    fakes.linkedin.fail_next("422")  # the comment, refused once
    post = await Scheduler(runtime).schedule_fields(
        ws.id, text="Evergreen", when=runtime.clock.now(), destinations=["linkedin"],
        first_comment="Read more", evergreen_days=7,
    )  # fmt: skip
    assert post.queued  # an evergreen post takes a slot; post it now, as the button does
    await Scheduler(runtime).post_now(ws.id, post.id)
    await _done(runtime, post.id)

    async def copied() -> bool:
        return len(await runtime.posts.search(ws.id)) == 2

    await wait_for(copied, timeout=15)
    await Scheduler(runtime).retry(ws.id, post.id)

    async def commented() -> bool:
        return (
            len(fakes.linkedin.comments) == 1
            and (await runtime.posts.get(post.id)).status == "published"
        )

    await wait_for(commented, timeout=30)
    assert len(await runtime.posts.search(ws.id)) == 2
