"""Text too long for a network the request names, checked before any account is looked up."""

from __future__ import annotations

from core.i18n import msg
from publishers.catalog import TEXT_RULES, canonical_platform
from scheduler.reader.grammar import ParsedRequest


def _platform(destination: str) -> str | None:
    """The network a typed destination names by itself ("x", "li:acme"), or None (a handle)."""
    name = destination.split(":", 1)[0] if not destination.startswith("@") else ""
    platform = canonical_platform(name) if name else ""
    return platform if platform in TEXT_RULES else None


def text_problems(parsed: ParsedRequest) -> list[str]:
    """What each named network would refuse about the text's length, as its publisher counts.

    Servers whose limit depends on the account (a Mastodon instance) are checked against the
    publisher's default; the stored post is validated again against the account itself.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for dest in parsed.destinations:
        platform = _platform(dest)
        if platform is None or platform in seen:
            continue
        seen.add(platform)
        rule = TEXT_RULES[platform]
        # Its version, or each part of a thread (``scheduler.reader.trailing``).
        texts = parsed.parts or (parsed.variants.get(platform) or parsed.text,)
        size = max((rule.excess(t) or 0 for t in texts), default=0) or None
        if size is not None:
            problems.append(
                msg("The text is {size} characters as {network} counts them; it allows "
                    "{limit}. Shorten it or send it to another network.",
                    size=f"{size:,}", network=rule.label, limit=f"{rule.max_length:,}")
            )  # fmt: skip
    return problems
