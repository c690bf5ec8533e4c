"""The connect-flow fixtures of tests/accounts (fake networks and authorization servers)."""

from __future__ import annotations

from tests.accounts.conftest import (
    app_url,
    browser,
    fb_auth,
    graph,
    li_auth,
    linkedin,
    port,
    settings,
    th_auth,
    threads,
    x_auth,
    xnet,
)

__all__ = ["app_url", "browser", "fb_auth", "graph", "li_auth", "linkedin", "port", "settings",
           "th_auth", "threads", "x_auth", "xnet"]  # fmt: skip
