"""The Telegram adapter (python-telegram-bot): webhook route, handlers, albums, notifier."""
