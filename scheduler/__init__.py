"""Outpost scheduler package."""
