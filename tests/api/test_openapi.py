"""The OpenAPI document matches the server: same routes, and a property-based run
(schemathesis) over every operation finds no 5xx and no response outside its schema."""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.web import build_app
from tests.api.conftest import Api
from webhooks import make_setup
from webhooks.openapi import OPERATIONS, document

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


async def test_every_route_is_documented_and_every_operation_served(runtime: Any) -> None:
    app = build_app(runtime, [make_setup()])
    served = set()
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if isinstance(sub, web.Application):
            for inner in sub.router.resources():
                for route in inner:
                    served.add((route.method.lower(), inner.canonical))
    documented = {(m, p) for p, ops in document()["paths"].items() for m in ops}
    assert served == documented
    assert len(documented) == len(OPERATIONS)


def test_document_is_openapi_3_1_and_loads() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(doc)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "post" and op.get("security") != []:
                names = [p["name"] for p in op.get("parameters", [])]
                assert "Idempotency-Key" in names, path


def _run(
    base_url: str,
    headers: dict[str, str],
    seen: list[int],
    only: dict[str, str] | None = None,
    examples: int = EXAMPLES,
) -> list[str]:
    """Generate and send requests for every operation (or, with ``only``, for those operations
    with ``hook_id`` set to a real hook); return what failed."""
    schema = schemathesis.openapi.from_dict(document())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        op_id = operation.definition.raw["operationId"]
        if only is not None and op_id not in only:
            continue
        path_params = {"hook_id": only[op_id]} if only is not None else None
        try:
            _checker(operation, base_url, headers, seen, path_params, examples)()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


def _checker(
    operation: Any,
    base_url: str,
    headers: dict[str, str],
    seen: list[int],
    path_params: dict[str, str] | None,
    examples: int,
) -> Any:
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy())
    def check(case: Any) -> None:
        if path_params is not None:
            case.path_parameters = path_params
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return check


async def test_property_based_run_over_the_document(api: Api) -> None:
    # Something to find: a post, a hook and an endpoint, so not every call is a 404.
    await api.call("POST", "/api/v1/posts", json={"request": "tomorrow 9am to mastodon: hi"})
    await api.call(
        "POST",
        "/api/v1/hooks",
        json={
            "name": "h",
            "verification": "token",
            "template": "{{ x }}",
            "destinations": ["mastodon"],
        },
    )
    seen: list[int] = []
    failures = await asyncio.to_thread(_run, api.url, api.auth, seen)
    assert failures == [], "\n\n".join(failures)
    # The run reached the handlers, not only the auth layer.
    assert {200, 201, 404, 422} <= set(seen), sorted(set(seen))


async def test_property_based_run_over_a_real_hook(api: Api) -> None:
    """Generated payloads reach a real hook's preview and, verified, its delivery: never a 5xx,
    whatever JSON (or not JSON) arrives."""
    status, made, _ = await api.call(
        "POST",
        "/api/v1/hooks",
        json={
            "name": "fuzzed",
            "verification": "token",
            "template": "{{ payload }} {{ event }}",
            "destinations": ["mastodon"],
        },
    )
    assert status == 201, made
    hook_id, secret = made["hook"]["id"], made["secret"]
    only = {"previewHook": hook_id, "receiveHook": hook_id}
    seen: list[int] = []
    headers = {**api.auth, "X-Outpost-Token": secret}
    failures = await asyncio.to_thread(_run, api.url, headers, seen, only, 40)
    assert failures == [], "\n\n".join(failures)
    # Deliveries were verified and parsed: some made posts, some were refused for their body.
    assert {200, 201} <= set(seen), sorted(set(seen))
