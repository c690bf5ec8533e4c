"""Outpost publishers package."""
