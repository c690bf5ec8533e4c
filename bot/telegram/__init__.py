"""Outpost bot.telegram package."""
