"""``outpost run`` against the fakes: LinkedIn, an Instagram carousel, Threads and Slack
channels as their current docs allow (issue #15)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from core.settings import Settings
from scheduler.accounts.access import connect_link
from scheduler.runtime import open_runtime
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import SELF_SERVE, FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer
from tests.fakes.slack import FakeSlack
from tests.fakes.threads import FakeThreads
from tests.helpers import drop_database, outpost
from tests.media.files import encoded_video
from tests.support import ROOT, TEST_DB, env_for, free_port, wait_for

E2E_DB = TEST_DB + "_e2e_networks"
SLACK_OAUTH_TOKEN = "xoxb-oauth-install"



@pytest.fixture
async def fresh_db() -> str:
    await drop_database(E2E_DB)
    return E2E_DB


@pytest.fixture
async def linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    fake.container_polls = 0
    await fake.start()
    yield fake
    await fake.stop()


async def test_run_publishes_to_linkedin_and_an_instagram_carousel(
    settings: Settings, fresh_db: str, linkedin: FakeLinkedIn, graph: FakeGraph, tmp_path: Path
) -> None:
    port = free_port()
    env = env_for(settings, DATABASE_URL=fresh_db, PORT=str(port), RECONCILE_SECONDS="2",
                  PUBLIC_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    for name, colour in (("a.jpg", "red"), ("b.jpg", "blue")):
        Image.new("RGB", (320, 320), colour).save(tmp_path / name, "JPEG")
    encoded_video(tmp_path / "c.mp4", seconds=4.0, size=(64, 64))
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await wait_for(healthy, timeout=60, interval=0.2)
            made = await outpost(env, "workspace", "create", "e2e", "--tz", "UTC")
            assert made.returncode == 0, made.stderr
            added = await outpost(
                env, "accounts", "add", "linkedin", "--workspace", "e2e", "--handle", "ada",
                "--base-url", linkedin.url, "--token-stdin", stdin="li-token",
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            # Instagram accounts come from a Facebook login; here the row is written directly.
            async with open_runtime(settings.model_copy(update={"database_url": fresh_db})) as rt:
                ws = await rt.workspaces.by_name("e2e")
                await rt.workspaces.add_account(
                    ws.id, "instagram", "acme.corp", rt.cipher.encrypt(graph.page_token),
                    base_url=graph.url, settings={"ig_user_id": graph.ig_id},
                )  # fmt: skip
            li = await outpost(
                env, "schedule", "in 3 seconds to linkedin: Hello LinkedIn", "--workspace", "e2e"
            )
            assert li.returncode == 0, li.stderr
            files = [
                a for name in ("a.jpg", "b.jpg", "c.mp4") for a in ("--media", str(tmp_path / name))
            ]
            ig = await outpost(
                env, "schedule", "in 3 seconds to instagram: Our carousel", "--workspace", "e2e",
                *files,
            )  # fmt: skip
            assert ig.returncode == 0, ig.stderr

            async def published() -> bool:
                return len(linkedin.posts) == 1 and len(graph.posts) == 1

            await wait_for(published, timeout=45, interval=0.3)
            assert linkedin.posts[0]["author"] == f"urn:li:person:{linkedin.person_id}"
            assert linkedin.posts[0]["commentary"] == "Hello LinkedIn"
            children = [graph.objects[c] for c in graph.posts[0]["children"].split(",")]
            assert [c.get("media_type") for c in children] == [None, None, "VIDEO"]
            assert graph.posts[0]["caption"] == "Our carousel"

            async def counted() -> bool:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                    text = await resp.text()
                return all(
                    f'outpost_publish_outcomes_total{{outcome="success",platform="{p}"}} 1.0'
                    in text
                    for p in ("linkedin", "instagram")
                )

            await wait_for(counted, timeout=15, interval=0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    assert "li-token" not in (tmp_path / "run.log").read_text()


@pytest.fixture
async def li_auth(linkedin: FakeLinkedIn) -> AsyncIterator[FakeAuthServer]:
    """LinkedIn's OAuth server for an app with only the self-serve products."""
    fake = FakeAuthServer(grants_to=linkedin.tokens, prefix="li")
    fake.allowed_scopes = set(SELF_SERVE)
    fake.token_scopes = linkedin.token_scopes
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def threads() -> AsyncIterator[FakeThreads]:
    fake = FakeThreads()
    fake.container_polls = 0
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_install(SLACK_OAUTH_TOKEN, "T0000BETA")  # an OAuth install: history once a minute
    yield fake
    await fake.stop()


async def test_run_connects_linkedin_by_oauth_and_keeps_threads_and_slack_within_their_rules(
    settings: Settings,
    fresh_db: str,
    linkedin: FakeLinkedIn,
    li_auth: FakeAuthServer,
    threads: FakeThreads,
    slack: FakeSlack,
    tmp_path: Path,
) -> None:
    """Issue #15's walk through ``outpost run``: a member connected with the self-serve scopes
    posts; Threads posts it would refuse are refused when scheduled (nothing sent); two posts
    in one minute to one Slack channel each go out once, without the minute-limited history."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = env_for(
        settings, DATABASE_URL=fresh_db, PORT=str(port), RECONCILE_SECONDS="2", PUBLIC_URL=public,
        LINKEDIN_CLIENT_ID=li_auth.client_id, LINKEDIN_CLIENT_SECRET=li_auth.client_secret,
        LINKEDIN_AUTHORIZE_URL=li_auth.url + "/authorize",
        LINKEDIN_TOKEN_URL=li_auth.url + "/token",
        LINKEDIN_API_URL=linkedin.url, THREADS_API_URL=threads.url,
    )  # fmt: skip
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    mine = settings.model_copy(update={"database_url": fresh_db, "public_url": public})
    try:
        jar = aiohttp.CookieJar(unsafe=True)  # a browser keeps cookies for 127.0.0.1 too
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:

            async def healthy() -> bool:
                try:
                    async with browser.get(f"{public}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await wait_for(healthy, timeout=60, interval=0.2)
            made = await outpost(env, "workspace", "create", "e2e", "--tz", "UTC")
            assert made.returncode == 0, made.stderr
            async with open_runtime(mine) as rt:
                ws = await rt.workspaces.by_name("e2e")
                link = connect_link(rt, ws.id, None, "linkedin")
                await rt.workspaces.add_account(
                    ws.id, "threads", threads.username, rt.cipher.encrypt("th-token"),
                    base_url=threads.url, settings={"threads_user_id": threads.user_id},
                )  # fmt: skip
                threads.tokens.add("th-token")
                await rt.workspaces.add_account(
                    ws.id, "slack", "#launches", rt.cipher.encrypt(SLACK_OAUTH_TOKEN),
                    base_url=slack.api_url(),
                    settings={"channel": "C0LAUNCHES", "team_id": "T0000BETA"},
                )  # fmt: skip
            async with browser.get(link) as resp:  # the link the bot sends, in one browser
                assert resp.status == 200, await resp.text()
            authorize = next(r for r in li_auth.requests if r.path == "/authorize")
            assert authorize.query["scope"].split() == ["openid", "profile", "w_member_social"]

            emoji = await outpost(
                env, "schedule", "in 1 minute to threads: " + "🎉" * 130, "--workspace", "e2e"
            )
            assert emoji.returncode == 2  # refused as typed: nothing stored
            assert "an emoji counts as its UTF-8 bytes" in emoji.stderr
            links = " ".join(f"https://example.com/{n}" for n in range(6))
            six = await outpost(
                env, "schedule", f"in 1 minute to threads: Read {links}", "--workspace", "e2e"
            )
            assert six.returncode == 2
            assert "6 links; Threads takes at most 5" in six.stderr
            for request in (
                "in 3 seconds to linkedin: Hello LinkedIn",
                "in 3 seconds to threads: Hello Threads",
                "in 3 seconds to slack: First launch note",
                "in 5 seconds to slack: Second launch note",
            ):
                done = await outpost(env, "schedule", request, "--workspace", "e2e")
                assert done.returncode == 0, done.stderr

            async def published() -> bool:
                return (len(linkedin.posts), len(threads.posts), len(slack.messages)) == (1, 1, 2)

            await wait_for(published, timeout=45, interval=0.3)
            # A second send would have landed by now: the reconciler runs every 2 s.
            await asyncio.sleep(2)
            [post] = linkedin.posts
            assert post["author"] == f"urn:li:person:{linkedin.person_id}"
            assert post["commentary"] == "Hello LinkedIn"
            [sent] = [r for r in linkedin.requests if (r.method, r.path) == ("POST", "/rest/posts")]
            member_token = sent.headers["Authorization"].removeprefix("Bearer ")
            assert linkedin.token_scopes[member_token] == {"openid", "profile", "w_member_social"}
            assert [p.get("text") for p in threads.posts] == ["Hello Threads"]
            assert sorted(m["text"] for m in slack.messages) == [
                "First launch note", "Second launch note"
            ]  # fmt: skip
            assert slack.calls("conversations.history") == []
            posts = await outpost(env, "posts", "--workspace", "e2e")
            assert posts.stdout.count("published") == 4, posts.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
