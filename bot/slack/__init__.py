"""Outpost bot.slack package."""
