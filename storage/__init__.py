"""Outpost storage package."""
