"""Which network addresses the HTTP fetcher may reach: the SSRF rules, as pure functions.

A URL from a posting is attacker-controlled input. These rules keep the fetcher on the
public internet: loopback, private, link-local, CGNAT, multicast, reserved and
unspecified addresses (and IPv6 wrappings of them) are private; cloud metadata
endpoints are refused always, since no intranet or test needs them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = [
    "IPAddress",
    "is_metadata_address",
    "is_metadata_host",
    "literal_ip",
    "private_reason",
    "system_resolve",
]

_METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)
_METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data.ec2.internal"}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# One to four dot-separated parts in decimal, 0x-hex or 0-octal: what inet_aton accepts.
_LEGACY_PART = re.compile(r"\A(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)\Z", re.IGNORECASE)


def is_metadata_host(host: str) -> bool:
    """True for the DNS names of cloud metadata services."""
    return host.rstrip(".").lower() in _METADATA_HOSTS


def literal_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells, including legacy forms like ``2130706433`` or ``0x7f.1``.

    Resolvers (and browsers) read these forms as IPv4 addresses, so the guard must too.
    """
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_PART.match(p) for p in parts):
        return None
    values = [_legacy_int(p) for p in parts]
    # inet_aton: the last part fills all the remaining bytes.
    last_bits = 8 * (5 - len(parts))
    if any(v > 255 for v in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = 0
    for value in values[:-1]:
        number = number << 8 | value
    return ipaddress.IPv4Address(number << last_bits | values[-1])


def _legacy_int(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part, 8)
    return int(part)


def is_metadata_address(ip: IPAddress) -> bool:
    """True for cloud metadata addresses, however they are wrapped."""
    inner = _embedded_ipv4(ip)
    return ip in _METADATA_IPS or (inner is not None and inner in _METADATA_IPS)


def private_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public internet address, or None when it is."""
    if ip in _METADATA_IPS:
        return "a cloud metadata address"
    inner = _embedded_ipv4(ip)
    if inner is not None:
        reason = private_reason(inner)
        return f"an IPv6 wrapping of {reason}" if reason else None
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a carrier-grade NAT address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public internet address"),
    )
    return next((reason for hit, reason in checks if hit), None)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


async def system_resolve(host: str) -> list[str]:
    """Every address the system resolver gives for ``host``, as strings."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` serves only this machine (``localhost``, 127.0.0.0/8, ::1).

    Any other name may resolve anywhere, so it counts as not loopback.
    """
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
