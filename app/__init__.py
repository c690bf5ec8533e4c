"""Outpost app package."""
