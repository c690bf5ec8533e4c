"""Outpost web package."""
