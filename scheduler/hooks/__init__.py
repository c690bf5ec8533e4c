"""Webhooks in and out: inbound hooks and their sandboxed, bounded templates, and the
signed callbacks every state change sends to a post's URL and the workspace's endpoints."""
