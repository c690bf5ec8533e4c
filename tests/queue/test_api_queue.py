"""The queue over the REST API: slots, queued and evergreen posts, move, evergreen stop."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import Api, api, runtime  # noqa: F401  (fixtures)
from tests.support import set_clock


async def test_slots_queue_move_and_evergreen_over_the_api(api: Api) -> None:  # noqa: F811
    set_clock(api.rt, datetime(2027, 3, 24, 13, tzinfo=UTC))  # Wed 14:00 in Berlin
    status, body, _ = await api.call("GET", "/api/v1/slots")
    assert status == 200
    assert body == {"timezone": "Europe/Berlin", "pull_forward": False, "items": [],
                    "next_free": None}  # fmt: skip
    refused, problem, _ = await api.call(
        "POST", "/api/v1/posts", json={"text": "hi", "destinations": ["mastodon"], "queue": True}
    )
    assert refused == 422
    assert "has no queue slots" in str(problem)
    slots = [{"weekday": d, "time": "9:00"} for d in range(5)]
    status, body, _ = await api.call(
        "PUT", "/api/v1/slots", json={"account": "mastodon", "slots": slots, "pull_forward": True}
    )
    assert status == 200
    assert body["pull_forward"] is True
    assert [s["time"] for s in body["items"]] == ["09:00"] * 5
    assert body["next_free"] == "2027-03-25T08:00:00Z"
    made = []
    for n in range(3):
        status, post, _ = await api.call("POST", "/api/v1/posts", json={
            "text": f"API {n}", "destinations": ["mastodon"], "queue": True,
            **({"evergreen_days": 14} if n == 2 else {}),
        })  # fmt: skip
        assert status == 201, post
        made.append(post)
    assert [p["scheduled_at"] for p in made] == [
        "2027-03-25T08:00:00Z", "2027-03-26T08:00:00Z", "2027-03-29T07:00:00Z",
    ]  # fmt: skip
    assert [p["queued"] for p in made] == [True, True, True]
    assert made[2]["evergreen_days"] == 14
    status, moved, _ = await api.call(
        "POST", f"/api/v1/posts/{made[2]['id']}/move", json={"direction": "up"}
    )
    assert status == 200
    assert moved["moved"]["scheduled_at"] == "2027-03-26T08:00:00Z"
    assert moved["swapped"]["scheduled_at"] == "2027-03-29T07:00:00Z"
    status, last, _ = await api.call(
        "POST", f"/api/v1/posts/{made[1]['id']}/move", json={"direction": "down"}
    )
    assert status == 422
    assert "already last" in str(last)
    status, stopped, _ = await api.call("POST", f"/api/v1/posts/{made[2]['id']}/evergreen/stop")
    assert status == 200
    assert stopped["evergreen_days"] is None
    status, doc, _ = await api.call("GET", "/api/v1/openapi.json")
    assert {"/api/v1/slots", "/api/v1/posts/{post_id}/move"} <= set(doc["paths"])
