"""Bolt listeners, one module per kind of Slack traffic, each with ``register(app, bot)``."""
