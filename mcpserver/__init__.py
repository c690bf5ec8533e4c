"""The Model Context Protocol server: Outpost's use cases as tools and resources for agents.

One server definition (``mcpserver.server``) is served two ways: over streamable HTTP at
``/mcp`` inside the aiohttp app (``mcpserver.http``), authenticated per request with a
workspace API token, and over stdio for local clients (``outpost mcp``, ``mcpserver.stdio``),
authenticated once at start. Every tool calls the same ``scheduler`` use cases as the REST API
and the chats, honours the token's scopes, and (when it changes something) runs once per
idempotency key, so an agent that retries a timed-out call does not post twice.
"""
