"""Outpost bot package."""
