"""Multi-workspace installs: /slack/install, /slack/oauth_redirect, installations in Postgres."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlparse

import asyncpg

from storage.db import _plain_dsn
from tests.slack.conftest import SlackHarness
from tests.slack.test_commands import _until
from tests.support import TEST_DB, wait_for


async def _rows(sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_plain_dsn(TEST_DB))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_install_then_commands_use_the_installed_token(oauth_slack: SlackHarness) -> None:
    slack, fake = oauth_slack, oauth_slack.fake
    page = await slack.client.get("/slack/install")
    assert page.status == 200
    link = re.search(r'href="(https://[^"]+)"', await page.text())
    assert link is not None
    url = urlparse(link.group(1).replace("&amp;", "&"))
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    assert query["client_id"] == [fake.client_id]
    assert "commands" in query["scope"][0]
    state = query["state"][0]
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    fake.add_code("code-1", "T0000BETA", "xoxb-installed")
    done = await slack.client.get(
        f"/slack/oauth_redirect?code=code-1&state={state}", headers={"Cookie": cookie},
        allow_redirects=False,
    )
    assert done.status in (200, 302)
    assert fake.calls("oauth.v2.access")[0]["code"] == "code-1"
    rows = await _rows("SELECT team_id, bot_token_enc, bot_id FROM slack_installations")
    assert [(r["team_id"], r["bot_id"]) for r in rows] == [("T0000BETA", "BBOT00001")]
    assert "xoxb-installed" not in rows[0]["bot_token_enc"]
    assert slack.rt.cipher.decrypt(rows[0]["bot_token_enc"]) == "xoxb-installed"
    # The state is used up: replaying the redirect installs nothing more.
    replay = await slack.client.get(
        f"/slack/oauth_redirect?code=code-1&state={state}", headers={"Cookie": cookie}
    )
    assert replay.status >= 400
    assert len(fake.calls("oauth.v2.access")) == 1
    fake.add_user("U0000BETA1", team_id="T0000BETA")
    await slack.command("help", team="T0000BETA", user="U0000BETA1")
    await _until(lambda: fake.responses)
    assert "Schedule a post" in fake.responses[0]["text"]
    info = [r for r in fake.requests if r.path == "/api/users.info"]
    assert info[0].headers["Authorization"] == "Bearer xoxb-installed"


async def test_uninstalled_team_is_refused(oauth_slack: SlackHarness) -> None:
    slack, fake = oauth_slack, oauth_slack.fake
    resp = await slack.command("help", team="T0000NONE")
    assert resp.status == 200
    assert fake.calls("users.info") == []
    assert await _rows("SELECT * FROM chat_identities") == []


async def _install(slack: SlackHarness, team: str, token: str) -> None:
    page = await slack.client.get("/slack/install")
    link = re.search(r'href="(https://[^"]+)"', await page.text())
    assert link is not None
    state = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)["state"][0]
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    slack.fake.add_code(f"code-{team}", team, token)
    done = await slack.client.get(
        f"/slack/oauth_redirect?code=code-{team}&state={state}", headers={"Cookie": cookie},
        allow_redirects=False,
    )
    assert done.status in (200, 302)


async def _teams() -> list[str]:
    return [r["team_id"] for r in await _rows("SELECT team_id FROM slack_installations")]


async def _teams_become(expected: list[str]) -> None:
    async def done() -> bool:
        return sorted(await _teams()) == expected

    await wait_for(done, timeout=10)


async def test_uninstall_forgets_the_team_and_its_token(oauth_slack: SlackHarness) -> None:
    slack = oauth_slack
    await _install(slack, "T0000BETA", "xoxb-beta")
    await _install(slack, "T0000GAMA", "xoxb-gama")
    assert sorted(await _teams()) == ["T0000BETA", "T0000GAMA"]
    resp = await slack.event({"type": "app_uninstalled"}, team="T0000BETA")
    assert resp.status == 200
    await _teams_become(["T0000GAMA"])  # Bolt's listener runs after the ack
    before = len(slack.fake.calls("users.info"))
    await slack.command("help", team="T0000BETA", user="U0000BETA1")
    assert len(slack.fake.calls("users.info")) == before  # refused, as a team never installed


async def test_a_revoked_bot_token_is_forgotten_a_users_is_not(oauth_slack: SlackHarness) -> None:
    slack = oauth_slack
    await _install(slack, "T0000BETA", "xoxb-beta")
    users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0000BETA1"], "bot": []}}
    assert (await slack.event(users_only, team="T0000BETA")).status == 200
    await asyncio.sleep(0.3)
    assert await _teams() == ["T0000BETA"]
    bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT00001"]}}
    assert (await slack.event(bot, team="T0000BETA")).status == 200
    await _teams_become([])
