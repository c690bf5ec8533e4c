"""A GitHub release webhook becomes a post, a real worker publishes it to the fake Mastodon,
and signed callbacks reach a receiver that verifies them."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.fakes.github import deliver, release_payload
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.support import wait_for


async def test_github_release_to_mastodon_with_a_signed_callback(
    api: Api, api_worker: object, mastodon: FakeMastodon, receiver: FakeWebhookReceiver
) -> None:
    status, secret, _ = await api.call("GET", "/api/v1/callbacks/secret")
    assert status == 200
    receiver.secret = secret["secret"]  # the receiver verifies with what the API handed out
    status, created, _ = await api.call(
        "POST",
        "/api/v1/hooks",
        json={
            "name": "releases",
            "verification": "github",
            "template": "{{ release.name }} is out: {{ release.html_url }}",
            "destinations": ["mastodon"],
            "events": ["release"],
            "callback_url": receiver.url + "/outpost",
        },
    )
    assert status == 201, created
    hook = created["hook"]

    body, headers = deliver(created["secret"], release_payload())
    async with api.http.post(
        hook["url"].replace(api.rt.settings.base_url, api.url), data=body, headers=headers
    ) as resp:
        answer = await resp.json()
        assert resp.status == 201, answer
    post_id = answer["post_id"]

    async def published_and_called_back() -> bool:
        types = {d["body"]["type"] for d in receiver.deliveries}
        return {"post.published", "destination.published"} <= types

    await wait_for(published_and_called_back, timeout=30)
    text = "Outpost 1.4 is out: https://github.com/acme/outpost/releases/tag/v1.4.0"
    assert [s["text"] for s in mastodon.statuses] == [text]
    assert receiver.rejected == []
    events = [d["body"]["type"] for d in receiver.deliveries]
    # Separate jobs deliver them, so only "scheduled" is sure to arrive first.
    assert events[0] == "post.scheduled"
    assert sorted(events[1:]) == ["destination.published", "post.published"]
    by_type = {d["body"]["type"]: d["body"]["data"] for d in receiver.deliveries}
    per_destination = by_type["destination.published"]["destination"]
    assert per_destination["status"] == "success"
    assert per_destination["url"] == mastodon.statuses[0]["url"]
    final = by_type["post.published"]
    assert final["post_id"] == post_id
    assert final["status"] == "published"
    assert final["destinations"] == [
        {
            "platform": "mastodon",
            "handle": "@outpost@fake.social",
            "status": "success",
            "url": mastodon.statuses[0]["url"],
            "error": None,
        }
    ]
    # The same delivery again (GitHub's "Redeliver" button) publishes nothing new.
    async with api.http.post(f"{api.url}/hooks/{hook['id']}", data=body, headers=headers) as resp:
        assert (resp.status, (await resp.json())["status"]) == (200, "duplicate")
    status, log, _ = await api.call("GET", f"/api/v1/posts/{post_id}/callbacks")
    assert [(c["event"], c["status"]) for c in log["items"]] == [
        ("post.scheduled", "delivered"),
        ("destination.published", "delivered"),
        ("post.published", "delivered"),
    ]
    assert len(mastodon.statuses) == 1
