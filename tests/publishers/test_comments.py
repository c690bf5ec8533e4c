"""First comments on the networks that have comments (LinkedIn, Facebook, Instagram): the
call each publisher makes, what each fake refuses as its network does, and reading one back
after an ambiguous answer (issue #19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import pytest

from publishers.base import Account, Receipt
from publishers.errors import AuthRevoked, ContentRejected
from publishers.facebook import FacebookPublisher
from publishers.instagram import InstagramPublisher
from publishers.linkedin import API_VERSION, LinkedInPublisher
from tests.fakes.facebook import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.publishers.helpers import PNG, memory_media, request_for


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


def _org(fake: FakeLinkedIn) -> Account:
    settings = {"author": f"urn:li:organization:{fake.org_id}", "web_url": fake.url}
    return Account("acc-li", "linkedin", "acme-corp", "li-token", fake.url, settings)


async def test_a_linkedin_comment_is_made_as_the_author_and_read_back(
    http: aiohttp.ClientSession, linkedin: FakeLinkedIn
) -> None:
    publisher = LinkedInPublisher(http, timeout=2.0)
    post = await publisher.publish(request_for(_org(linkedin), text="Hello LinkedIn"))
    comment = await publisher.comment(request_for(_org(linkedin), text="First!", key="k:c"), post)
    [made] = linkedin.comments
    assert made["actor"] == f"urn:li:organization:{linkedin.org_id}"
    assert made["object"] == post.remote_id
    assert made["message"] == {"text": "First!"}
    assert comment.remote_id == made["commentUrn"]
    assert comment.url is not None
    assert comment.url.startswith(post.url or "")
    sent = next(r for r in linkedin.requests if r.path.endswith("/comments"))
    assert sent.headers["LinkedIn-Version"] == API_VERSION
    # After an ambiguous answer: an organisation's comments can be read with its scope...
    linkedin.token_scopes["li-token"].add("r_organization_social")
    found = await publisher.find_step(request_for(_org(linkedin), text="First!"), post)
    assert isinstance(found, Receipt)
    assert found.remote_id == comment.remote_id
    assert await publisher.find_step(request_for(_org(linkedin), text="Other"), post) is None
    # ...and without it LinkedIn says no, so Outpost cannot tell.
    linkedin.token_scopes["li-token"].discard("r_organization_social")
    assert await publisher.find_step(request_for(_org(linkedin), text="First!"), post) is False


async def test_the_linkedin_fake_refuses_what_linkedin_refuses(
    http: aiohttp.ClientSession, linkedin: FakeLinkedIn
) -> None:
    publisher = LinkedInPublisher(http, timeout=2.0)
    post = await publisher.publish(request_for(_org(linkedin), text="A post"))
    url = f"{linkedin.url}/rest/socialActions/{quote(post.remote_id, safe='')}/comments"
    headers = {"Authorization": "Bearer li-token", "LinkedIn-Version": API_VERSION,
               "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip
    actor = f"urn:li:organization:{linkedin.org_id}"
    body = {"actor": actor, "object": post.remote_id, "message": {"text": "hi"}}

    async def status(json: object, sent: dict[str, str], target: str = url) -> int:
        async with http.post(target, json=json, headers=sent) as resp:
            return resp.status

    assert await status(body, {**headers, "LinkedIn-Version": "202001"}) == 426
    assert await status(body, {k: v for k, v in headers.items() if k != "LinkedIn-Version"}) == 400
    assert await status({**body, "actor": None}, headers) == 400
    assert await status({**body, "actor": "urn:li:person:someone-else"}, headers) == 403
    missing = url.replace(quote(post.remote_id, safe=""), quote("urn:li:share:1", safe=""))
    assert await status({**body, "object": "urn:li:share:1"}, headers, missing) == 404
    assert await status({**body, "message": {"text": "x" * 1251}}, headers) == 422
    assert linkedin.comments == []
    with pytest.raises(ContentRejected):
        await publisher.comment(request_for(_org(linkedin), text="hi"), Receipt("urn:li:share:1"))


async def test_a_page_comments_on_its_own_post(
    http: aiohttp.ClientSession, graph: FakeGraph
) -> None:
    page = Account("acc-fb", "facebook", "acme", graph.page_token, graph.url,
                   {"page_id": graph.page_id})  # fmt: skip
    publisher = FacebookPublisher(http, timeout=2.0)
    post = await publisher.publish(request_for(page, text="Page news"))
    comment = await publisher.comment(request_for(page, text="Details below", key="k:c"), post)
    [made] = graph.comments
    assert made["message"] == "Details below"
    assert made["_on"] == post.remote_id
    assert comment.remote_id == made["id"]
    found = await publisher.find_step(request_for(page, text="Details below"), post)
    assert isinstance(found, Receipt)
    assert found.remote_id == comment.remote_id
    with pytest.raises(ContentRejected):  # a post that does not exist
        await publisher.comment(request_for(page, text="hi"), Receipt("1001_404"))
    user = Account("acc-fb", "facebook", "acme", graph.user_token, graph.url,
                   {"page_id": graph.page_id})  # fmt: skip
    with pytest.raises(AuthRevoked):  # a Page comments with its Page token only
        await publisher.comment(request_for(user, text="hi"), post)
    assert len(graph.comments) == 1


async def test_an_instagram_account_comments_on_its_media(
    http: aiohttp.ClientSession, graph: FakeGraph
) -> None:
    account = Account("acc-ig", "instagram", "acme.corp", graph.page_token, graph.url,
                      {"ig_user_id": graph.ig_id})  # fmt: skip
    publisher = InstagramPublisher(http, timeout=2.0)
    photo = memory_media(PNG, "image/jpeg", "a.jpg", url="https://cdn.test/a.jpg")
    post = await publisher.publish(request_for(account, text="Caption", media=(photo,)))
    comment = await publisher.comment(request_for(account, text="#launch", key="k:c"), post)
    [made] = graph.comments
    assert (made["text"], made["_on"], made["id"]) == ("#launch", post.remote_id,
                                                       comment.remote_id)  # fmt: skip
    found = await publisher.find_step(request_for(account, text="#launch"), post)
    assert isinstance(found, Receipt)
    assert found.remote_id == comment.remote_id
    assert await publisher.find_step(request_for(account, text="nope"), post) is None
