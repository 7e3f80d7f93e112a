"""The client address a per-address rate-limit bucket is keyed on.

The ASGI ``client`` host is the TCP peer, or - when ``RAPPORT_TRUSTED_PROXIES`` lets uvicorn read proxy
headers - whatever a trusted proxy put in ``X-Forwarded-For``. Either way it is text a client may have
chosen, so the bucket key is made from a parsed IP address, never from that text: one client cannot
mint new buckets by varying spelling, and garbage all lands in one shared bucket.
"""

from __future__ import annotations

import ipaddress

INVALID = "invalid"  # the one bucket of every address that does not parse
UNKNOWN = "unknown"  # no peer address at all (e.g. a UNIX socket without proxy headers)
# An IPv6 subscriber is routed a /64 or more and picks any address inside it at will: one bucket per /64.
IPV6_PREFIX = 64


def address_key(host: str | None) -> str:
    """``ip:<address>`` for an IPv4 address (IPv4-mapped IPv6 included), ``ip:<network>/64`` for IPv6."""
    if not host:
        return f"ip:{UNKNOWN}"
    try:
        address = ipaddress.ip_address(host.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return f"ip:{INVALID}"
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return f"ip:{mapped}"
        # The zone (fe80::1%eth0) names a local interface, not a client: the network drops it.
        network = ipaddress.IPv6Network((int(address) >> (128 - IPV6_PREFIX) << (128 - IPV6_PREFIX), IPV6_PREFIX))
        return f"ip:{network}"
    return f"ip:{address}"


def scope_address_key(scope: dict) -> str:
    """The bucket key of an ASGI connection scope."""
    client = scope.get("client")
    return address_key(client[0] if client else None)
