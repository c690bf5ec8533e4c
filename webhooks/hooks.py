"""Inbound hooks: manage them through the API, and receive ``POST /hooks/{hook_id}``
(verify first, then parse, then template into a post)."""

from __future__ import annotations

import hashlib
from typing import Any

from core.errors import RequestProblem
from scheduler.accounts.usecases import list_accounts
from scheduler.api_tokens import api_store
from scheduler.destinations import resolve
from scheduler.hooks import inbound as hook_cases
from scheduler.hooks.inbound import check_template, preview, receive
from webhooks.body import parse_json, read_body
from webhooks.errors import ApiError
from webhooks.http import Call, Reply
from webhooks.render import hook_json, post_json
from webhooks.verify import VerificationError, precheck, verify


def _base(call: Call) -> str:
    return call.rt.settings.base_url


async def _check_destinations(call: Call, destinations: list[str]) -> None:
    accounts = await list_accounts(call.rt, call.workspace_id)
    _, unknown = resolve(destinations, accounts)
    if unknown:
        raise RequestProblem(unknown, "Connect the account first, or name one that is connected.")


async def list_hooks(call: Call) -> Reply:
    """The workspace's hooks."""
    hooks = await api_store(call.rt).hooks(call.workspace_id)
    return Reply(200, {"items": [hook_json(h, _base(call)) for h in hooks]})


async def create_hook(call: Call) -> Reply:
    """A new hook; its secret (given or generated) is shown only in this answer."""
    body: dict[str, Any] = call.body
    await check_template(call.rt, body["template"])
    await _check_destinations(call, body["destinations"])
    call.check_url("callback_url", body.get("callback_url"))
    hook, secret = await hook_cases.create_hook(
        call.rt,
        call.workspace_id,
        verification=body["verification"],
        secret=body.get("secret"),
        name=body["name"],
        template=body["template"],
        destinations=body["destinations"],
        timing=body.get("timing", {"mode": "now"}),
        events=body.get("events", []),
        callback_url=body.get("callback_url"),
    )
    return Reply(
        201, {"hook": hook_json(hook, _base(call)), "secret": secret}, secret_of=str(hook.id)
    )


async def get_hook(call: Call) -> Reply:
    """One hook."""
    hook = await api_store(call.rt).hook(call.path_id("hook_id"), call.workspace_id)
    return Reply(200, hook_json(hook, _base(call)))


async def edit_hook(call: Call) -> Reply:
    """Change a hook; the secret stays."""
    body: dict[str, Any] = call.body
    if "template" in body:
        await check_template(call.rt, body["template"])
    if "destinations" in body:
        await _check_destinations(call, body["destinations"])
    call.check_url("callback_url", body.get("callback_url"))
    hook = await hook_cases.update_hook(call.rt, call.workspace_id, call.path_id("hook_id"), **body)
    return Reply(200, hook_json(hook, _base(call)))


async def delete_hook(call: Call) -> Reply:
    """Delete a hook and its delivery records."""
    await hook_cases.delete_hook(call.rt, call.workspace_id, call.path_id("hook_id"))
    return Reply(204)


async def preview_hook(call: Call) -> Reply:
    """The post a sample payload would make, with every problem; stores nothing."""
    hook = await api_store(call.rt).hook(call.path_id("hook_id"), call.workspace_id)
    result = await preview(call.rt, hook, call.body["payload"], call.body.get("event"))
    return Reply(200, result)


def _event(mode: str, headers: Any, payload: Any) -> str | None:
    if mode == "github":
        event = headers.get("X-GitHub-Event")
        return None if event is None else str(event)
    if mode == "standard" and isinstance(payload, dict) and isinstance(payload.get("type"), str):
        return str(payload["type"])
    other = headers.get("X-Event-Type")
    return None if other is None else str(other)


async def receive_hook(call: Call) -> Reply:
    """Verify, then count, then parse, then schedule once per delivery (and, for GitHub, once
    per signed body); a failed check stores nothing and costs the hook's owner nothing."""
    rt, request, config = call.rt, call.request, call.config
    hook = await api_store(rt).hook(call.path_id("hook_id"))
    if not hook.enabled:
        raise ApiError(404, "not_found", "This hook is disabled.")
    secret = hook_cases.hook_secret(rt, hook)
    try:
        precheck(hook.verification, secret, request.headers, rt.clock.now())
        raw = await read_body(request, config.json_limit)
        delivery_id = verify(hook.verification, secret, request.headers, raw, rt.clock.now())
    except VerificationError as exc:
        # Unverified requests have their own budget per source address: anyone who knows the
        # URL must not be able to spend the owner's.
        source = request.remote or "unknown"
        await call.gate.count(rt, f"hook-unverified:{hook.id}:{source}",
                              config.hook_rate_limit, config.rate_window)  # fmt: skip
        raise ApiError(401, "invalid_signature", f"The delivery is not verified: {exc.reason}.",
                       headers={"WWW-Authenticate": "Signature"}) from None  # fmt: skip
    await call.gate.count(rt, f"hook:{hook.id}", config.hook_rate_limit, config.rate_window)
    payload = parse_json(raw)
    # GitHub signs the body but not X-GitHub-Delivery: the body's hash names the delivery too.
    github = hook.verification == "github"
    body_key = "sha256:" + hashlib.sha256(raw).hexdigest() if github else None
    outcome = await receive(
        rt, hook, payload, delivery_id, _event(hook.verification, request.headers, payload),
        body_key,
    )  # fmt: skip
    body: dict[str, Any] = {
        "status": outcome.status,
        "post_id": str(outcome.post_id) if outcome.post_id else None,
    }
    if outcome.reason:
        body["reason"] = outcome.reason
    if outcome.post is not None:
        body["post"] = post_json(outcome.post)
    return Reply(201 if outcome.status == "created" else 200, body)
