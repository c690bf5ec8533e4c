"""Outbound connections go to public addresses only, unless the operator allows private ones.

Account addresses (a Mastodon server, a webhook URL) and callback URLs come from users. Left
unchecked, anyone with an API token could make Outpost send requests into the operator's own
network: cloud metadata at 169.254.169.254, an admin port on localhost. The check runs on the
address each connection is about to use, after DNS, so a name that resolves (or re-resolves)
to a private address is refused as well as a literal one.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp

REFUSED = "refused to connect to a private or local address"


class PrivateAddress(OSError):
    """A connection to a private, local or reserved address, refused before it was made."""

    def __init__(self) -> None:
        # One message for every address, so that a name with several private addresses
        # still surfaces as this error (aiohappyeyeballs raises the first of equal ones).
        super().__init__(errno.EACCES, REFUSED)


def is_public(host: str) -> bool:
    """Whether ``host`` (an IP address) is on the public internet."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def local_host(url: str) -> str | None:
    """The host of ``url`` when it is private or local without asking DNS (a literal address
    or a localhost name), to refuse it where it was typed; ``None`` otherwise. Other names are
    checked when a connection is made."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return None if is_public(host) else host


def public_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's socket factory: a socket only for a public destination."""
    family, type_, proto, _, sockaddr = addr_info
    if not is_public(str(sockaddr[0])):
        raise PrivateAddress()
    return socket.socket(family=family, type=type_, proto=proto)


def connector(*, allow_private: bool, limit: int) -> aiohttp.TCPConnector:
    """The shared session's connector; public addresses only unless ``allow_private``."""
    factory = None if allow_private else public_socket
    return aiohttp.TCPConnector(limit=limit, socket_factory=factory)


def refused(exc: BaseException) -> bool:
    """Whether a connection error is this module refusing a private address."""
    os_error = getattr(exc, "os_error", exc)
    return isinstance(os_error, OSError) and REFUSED in str(os_error)
