"""Outpost core package."""
