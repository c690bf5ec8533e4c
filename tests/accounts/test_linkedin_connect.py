"""A LinkedIn member connects with only the self-serve products and posts (pages are opt-in)."""

from __future__ import annotations

import aiohttp

from publishers.base import Account
from publishers.linkedin import LinkedInPublisher
from scheduler.accounts.access import connect_link
from scheduler.runtime import Runtime
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer
from tests.publishers.helpers import request_for


async def test_member_connects_with_self_serve_scopes_and_posts(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    li_auth: FakeAuthServer,
    linkedin: FakeLinkedIn,
) -> None:
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "linkedin")) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    authorize = next(r for r in li_auth.requests if r.path == "/authorize")
    assert authorize.query["scope"].split() == ["openid", "profile", "w_member_social"]
    assert authorize.query["code_challenge_method"] == "S256"
    token_call = next(r for r in li_auth.requests if r.path == "/token")
    assert token_call.form is not None
    assert token_call.form["code_verifier"]
    # Pages were not asked for, so nobody asked LinkedIn for them.
    assert not [r for r in linkedin.requests if r.path.startswith("/rest/organization")]
    [member] = await runtime.workspaces.accounts(ws.id)
    assert member.handle == "ada-lovelace"
    assert member.settings["author"] == f"urn:li:person:{linkedin.person_id}"
    token = runtime.cipher.decrypt(member.access_token_enc)
    assert linkedin.token_scopes[token] == {"openid", "profile", "w_member_social"}

    publisher = LinkedInPublisher(runtime.http, timeout=5.0)
    publisher.configure(runtime.settings)
    account = Account(str(member.id), "linkedin", member.handle, token, member.base_url,
                      dict(member.settings))  # fmt: skip
    receipt = await publisher.publish(request_for(account))
    [post] = linkedin.posts
    assert post["author"] == f"urn:li:person:{linkedin.person_id}"
    assert receipt.remote_id == post["id"]
    # Nothing outside the granted scopes was tried (the finder needs r_member_social).
    assert not [r for r in linkedin.requests if r.method == "GET" and r.path == "/rest/posts"]
    assert {r.headers.get("LinkedIn-Version") for r in linkedin.requests
            if r.path.startswith("/rest/")} == {runtime.settings.linkedin_version}  # fmt: skip
