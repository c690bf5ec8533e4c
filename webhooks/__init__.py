"""REST API (``/api/v1``) and inbound hooks (``/hooks/{hook_id}``), routed from the OpenAPI
operation table so the server serves exactly what the document describes."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from scheduler.runtime import Runtime
from webhooks import api, hooks, manage, queue
from webhooks.errors import error_middleware
from webhooks.http import ApiConfig, Call, Handler, RateGate, Reply, route
from webhooks.openapi import OPERATIONS, document


async def _openapi(call: Call) -> Reply:
    return Reply(200, document())


HANDLERS: dict[str, Handler] = {
    "getOpenApi": _openapi,
    "listPosts": api.list_posts,
    "createPost": api.create_post,
    "getPost": api.get_post,
    "editPost": api.edit_post,
    "reschedulePost": api.reschedule_post,
    "approvePost": api.approve_post,
    "rejectPost": api.reject_post,
    "cancelPost": api.cancel_post,
    "retryPost": api.retry_post,
    "publishPostNow": api.publish_now,
    "uploadMediaFromUrl": api.media_from_url,
    "listPostCallbacks": api.post_callbacks,
    "uploadMedia": api.upload_media,
    "movePost": queue.move_post,
    "stopEvergreen": queue.stop_evergreen,
    "listSlots": queue.list_slots,
    "setSlots": queue.put_slots,
    "listAccounts": manage.list_accounts,
    "addAccount": manage.add_account,
    "removeAccount": manage.remove_account,
    "listHooks": hooks.list_hooks,
    "createHook": hooks.create_hook,
    "getHook": hooks.get_hook,
    "editHook": hooks.edit_hook,
    "deleteHook": hooks.delete_hook,
    "previewHook": hooks.preview_hook,
    "listTokens": manage.list_tokens,
    "createToken": manage.make_token,
    "revokeToken": manage.revoke_token,
    "listEndpoints": manage.list_endpoints,
    "addEndpoint": manage.add_endpoint,
    "removeEndpoint": manage.remove_endpoint,
    "getCallbackSecret": manage.callback_secret,
    "receiveHook": hooks.receive_hook,
}
PREFIXES = ("/api/v1", "/hooks")


def make_setup(config: ApiConfig | None = None) -> Callable[[web.Application, Runtime], None]:
    """A ``setup`` with non-default limits (tests use small ones)."""
    chosen = config or ApiConfig()

    def setup_with(app: web.Application, runtime: Runtime) -> None:
        """Mount ``/api/v1`` and ``/hooks`` on ``app``."""
        gate = RateGate(runtime)
        for prefix in PREFIXES:
            sub = web.Application(middlewares=[error_middleware])
            for op in OPERATIONS:
                if op.path.startswith(prefix + "/"):
                    handler = route(runtime, op, HANDLERS[op.operation_id], chosen, gate)
                    sub.router.add_route(op.method.upper(), op.path.removeprefix(prefix), handler)
            app.add_subapp(prefix, sub)

    return setup_with


def setup(app: web.Application, runtime: Runtime) -> None:
    """Add the API and the inbound hooks to ``app``."""
    make_setup()(app, runtime)


__all__ = ["ApiConfig", "make_setup", "setup"]
