"""Outbound connections: public addresses for every caller, the operator's services for theirs.

Users name addresses: a callback URL, a webhook account, a Mastodon or Bluesky server, a
Discord webhook. Left unchecked, anyone with an API token could make Outpost send requests into
the operator's network (cloud metadata at 169.254.169.254, Redis on localhost) and read the
delivery errors as a port scan. Those requests go through the *strict* session: public
addresses only.

The operator names services in the settings (``SLACK_API_URL``, ``SUPABASE_URL``,
``X_API_URL``, the OAuth endpoints...), and those may be private (a self-hosted Supabase).
Outpost's own calls to them go through the *operator* session, which also reaches exactly those
origins: the host and port each setting names, at the addresses its name resolves to. Trust
never passes to the strict session: a user URL naming, or resolving to, the operator's Supabase
is refused like any other private address, and another port of the same host is refused in
both.

Checked three times, each on the host as aiohttp will spell it (IDNA-mapped, so ``ⓛocalhost``
is ``localhost``; numbers in every form ``inet_aton`` takes, so ``0x7f000001``, ``2130706433``,
``0177.0.0.1`` and ``127.1`` are 127.0.0.1; IPv4 inside IPv6 unwrapped):

- where a URL is typed (``local_host``): a literal private address or a localhost name;
- when a name is resolved: every A/AAAA record must be allowed, or none is used;
- when a socket is made: the address it is for (literal addresses skip DNS).
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

REFUSED = "refused to connect to a private or local address"
# Every connect-phase failure reads the same to whoever typed the URL, so that delivery errors
# cannot tell a closed port from a filtered one or a refused address.
GENERIC = "the address is not allowed or did not answer"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_PART = {16: re.compile(r"[0-9a-f]*"), 8: re.compile(r"[0-7]+"), 10: re.compile(r"[0-9]+")}


class PrivateAddress(OSError):
    """A connection to a private, local or reserved address, refused before it was made."""

    def __init__(self) -> None:
        # One message for every address, so that a name with several private addresses
        # still surfaces as this error (aiohappyeyeballs raises the first of equal ones).
        super().__init__(errno.EACCES, REFUSED)


def _ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read the way ``inet_aton`` (and so ``getaddrinfo``) reads it, or ``None``."""
    parts = host.lower().split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:], 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        if not _PART[base].fullmatch(digits):
            return None
        values.append(int(digits or "0", base))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for i, value in enumerate(head):
        number |= value << (24 - 8 * i)
    return ipaddress.IPv4Address(number)


def _ip(host: str) -> IPAddress | None:
    """``host`` as an IP address in any spelling a connection would accept, or ``None``."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return _ipv4_loose(host)


def canonical_host(host: str) -> str:
    """``host`` as a connection uses it: an address's usual text, or the IDNA-mapped name."""
    host = unicodedata.normalize("NFKC", host).strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    address = _ip(host)
    if address is not None:
        return str(address)
    try:
        # yarl is what aiohttp spells the host with (UTS-46), so both checks see one name.
        host = URL.build(scheme="http", host=host).raw_host or host
    except ValueError:
        return host
    return host.rstrip(".").lower()


def _embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(host: str) -> bool:
    """Whether ``host`` (an IP address, in any spelling) is on the public internet."""
    address = _ip(host.strip("[]"))
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded(address)
        if inner is not None and not is_public(str(inner)):
            return False
    return address.is_global and not address.is_multicast


def local_host(url: str) -> str | None:
    """The host of ``url`` when it is private or local without asking DNS (a literal address
    or a localhost name), to refuse it where it was typed; ``None`` otherwise. Other names are
    checked when a connection is made."""
    try:
        raw = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return None
    host = canonical_host(raw)
    if host == "localhost" or host.endswith(".localhost"):
        return host
    if _ip(host) is None:
        return None
    return None if is_public(host) else host


def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL, the host canonical; ``None`` otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, canonical_host(parts.hostname), port or (443 if scheme == "https" else 80)


class Guard:
    """The addresses one connector's sockets may use: public ones, and the trusted origins'.

    ``trusted_urls`` empty is the strict rule. Otherwise each URL's host and port is trusted
    at its literal address or at whatever its name resolves to, on that port only.
    """

    def __init__(self, trusted_urls: Iterable[str] = ()) -> None:
        self.origins = {found for url in trusted_urls if (found := origin(url))}
        self.endpoints = {(host, port) for _, host, port in self.origins}
        self.trusted = {(h, p) for h, p in self.endpoints if _ip(h) is not None}

    def allows(self, ip: str, port: int) -> bool:
        """Whether a socket to ``ip`` on ``port`` may be opened."""
        return (canonical_host(ip), port) in self.trusted or is_public(ip)

    def socket(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """aiohttp's socket factory: a socket only for an allowed destination."""
        family, type_, proto, _, sockaddr = addr_info
        if not self.allows(str(sockaddr[0]), int(sockaddr[1])):
            raise PrivateAddress()
        return socket.socket(family=family, type=type_, proto=proto)

    def check_resolved(self, host: str, port: int, found: list[ResolveResult]) -> None:
        """Trust what a trusted name resolves to; otherwise every address must be allowed."""
        if (canonical_host(host), port) in self.endpoints:
            self.trusted.update((canonical_host(str(item["host"])), port) for item in found)
        elif not all(self.allows(str(item["host"]), port) for item in found):
            raise PrivateAddress()


class _GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name any of whose addresses the guard refuses."""

    def __init__(self, guard: Guard) -> None:
        self._inner = DefaultResolver()
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        self._guard.check_resolved(host, port, found)
        return found

    async def close(self) -> None:
        await self._inner.close()


def connector(
    *, allow_private: bool, limit: int, trusted_urls: Iterable[str] = ()
) -> aiohttp.TCPConnector:
    """A connector reaching public addresses and ``trusted_urls``' origins only, unless
    ``allow_private``."""
    if allow_private:
        return aiohttp.TCPConnector(limit=limit)
    guard = Guard(trusted_urls)
    return aiohttp.TCPConnector(
        limit=limit, socket_factory=guard.socket, resolver=_GuardedResolver(guard)
    )


def session(
    *,
    allow_private: bool,
    headers: Mapping[str, str],
    trusted_urls: Iterable[str] = (),
    limit: int = 200,
) -> aiohttp.ClientSession:
    """One of the process's two sessions: strict (no ``trusted_urls``) or the operator's."""
    made = connector(allow_private=allow_private, limit=limit, trusted_urls=trusted_urls)
    return aiohttp.ClientSession(headers=dict(headers), connector=made)


def refused(exc: BaseException) -> bool:
    """Whether a connection error is this module refusing a private address."""
    os_error = getattr(exc, "os_error", exc)
    return isinstance(os_error, OSError) and REFUSED in str(os_error)
