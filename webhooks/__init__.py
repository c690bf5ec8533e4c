"""Outpost webhooks package."""
