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
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

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
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return host
    if not _is_ip(host):
        return None
    return None if is_public(host) else host


class Guard:
    """The addresses outbound connections may use: public ones, and the operator's own.

    The services named in the settings (``SUPABASE_URL``, ``X_API_URL``, ...) are the
    operator's choice, so they may be private (a self-hosted Supabase on an internal network):
    their literal addresses, and whatever their names resolve to, are trusted.
    """

    def __init__(self, trusted_urls: Iterable[str] = ()) -> None:
        hosts = {_host(url) for url in trusted_urls}
        self.trusted_hosts = {h for h in hosts if h}
        self.trusted_ips = {h for h in self.trusted_hosts if _is_ip(h)}

    def socket(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """aiohttp's socket factory: a socket only for a public or trusted destination."""
        family, type_, proto, _, sockaddr = addr_info
        ip = str(sockaddr[0])
        if ip not in self.trusted_ips and not is_public(ip):
            raise PrivateAddress()
        return socket.socket(family=family, type=type_, proto=proto)


class _TrustingResolver(AbstractResolver):
    """aiohttp's resolver, noting the addresses of the operator's own services."""

    def __init__(self, guard: Guard) -> None:
        self._inner = DefaultResolver()
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if host.rstrip(".").lower() in self._guard.trusted_hosts:
            self._guard.trusted_ips.update(str(item["host"]) for item in found)
        return found

    async def close(self) -> None:
        await self._inner.close()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def connector(
    *, allow_private: bool, limit: int, trusted_urls: Iterable[str] = ()
) -> aiohttp.TCPConnector:
    """The shared session's connector: public addresses and the operator's services only,
    unless ``allow_private``."""
    if allow_private:
        return aiohttp.TCPConnector(limit=limit)
    guard = Guard(trusted_urls)
    return aiohttp.TCPConnector(
        limit=limit, socket_factory=guard.socket, resolver=_TrustingResolver(guard)
    )


def refused(exc: BaseException) -> bool:
    """Whether a connection error is this module refusing a private address."""
    os_error = getattr(exc, "os_error", exc)
    return isinstance(os_error, OSError) and REFUSED in str(os_error)
