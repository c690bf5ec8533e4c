"""Multi-workspace installs: /slack/install, /slack/oauth_redirect, installations in Postgres."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import asyncpg

from storage.db import _plain_dsn
from tests.slack.conftest import SlackHarness
from tests.slack.test_commands import _until
from tests.support import TEST_DB


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
