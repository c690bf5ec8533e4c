"""LinkedIn pages with ``LINKEDIN_ORGANIZATIONS=true`` and the Community Management product."""

from __future__ import annotations

import aiohttp
import pytest

from core.settings import Settings
from scheduler.accounts.access import account_store, connect_link
from scheduler.runtime import Runtime
from tests.fakes.linkedin import ORGANIZATION, FakeLinkedIn
from tests.fakes.oauth import FakeAuthServer


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"linkedin_organizations": True})


@pytest.fixture
async def li_auth(li_auth: FakeAuthServer) -> FakeAuthServer:
    assert li_auth.allowed_scopes is not None
    li_auth.allowed_scopes |= ORGANIZATION
    return li_auth


async def test_member_and_organisation_connect(
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
    assert "linkedin:acme-corp" in page
    authorize = next(r for r in li_auth.requests if r.path == "/authorize")
    asked = set(authorize.query["scope"].split())
    assert asked == {"openid", "profile", "w_member_social", "w_organization_social",
                     "r_organization_admin"}  # fmt: skip
    accounts = {a.handle: a for a in await runtime.workspaces.accounts(ws.id)}
    assert set(accounts) == {"ada-lovelace", "acme-corp"}
    org = accounts["acme-corp"]
    assert org.settings["author"] == "urn:li:organization:2414183"
    assert runtime.cipher.decrypt(org.access_token_enc) in linkedin.tokens
    tokens = await account_store(runtime).tokens(org.id)
    assert tokens is not None
    assert tokens.refresh_token_enc
    assert tokens.expires_at


async def test_organisation_lookup_failing_still_connects_the_member(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    li_auth: FakeAuthServer,
    linkedin: FakeLinkedIn,
) -> None:
    linkedin.acls_unavailable = True
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "linkedin")) as resp:
        page = await resp.text()
        assert resp.status == 200, page
    assert [r for r in linkedin.requests if r.path == "/rest/organizationAcls"]
    [member] = await runtime.workspaces.accounts(ws.id)
    assert member.handle == "ada-lovelace"


async def test_app_without_community_management_is_explained(
    runtime: Runtime,
    app_url: str,
    browser: aiohttp.ClientSession,
    li_auth: FakeAuthServer,
) -> None:
    li_auth.allowed_scopes = {"openid", "profile", "email", "w_member_social"}
    ws = await runtime.workspaces.create("acme")
    async with browser.get(connect_link(runtime, ws.id, None, "linkedin")) as resp:
        text = await resp.text()
    assert resp.status == 400
    assert "unauthorized_scope_error" in text
    assert await runtime.workspaces.accounts(ws.id) == []
