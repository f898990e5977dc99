"""The client's address, as throttling sees it.

The TCP peer, or — only behind a trusted proxy — the right part of ``X-Forwarded-For``;
and the unit an address is throttled by (an IPv4 address, an IPv6 /64).

Both are asked on every request (GraphQL's cost budget, auth's throttles) and parsing
addresses is slow next to a small request (~12 µs, measured with ``timeit``), so their
answers are kept, by their arguments, for the most recent clients (pure functions; a
client sending ever-new ``X-Forwarded-For`` values only cycles the bounded cache).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

__all__ = ["address_bucket", "client_address"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Answers kept per function: the clients of a busy process, bounded.
_REMEMBERED = 4096


@functools.lru_cache(maxsize=_REMEMBERED)
def address_bucket(address: str) -> str:
    """The unit an address is throttled by: the IPv4 address, or the IPv6 /64.

    An IPv6 client usually controls a whole /64 (2**64 addresses); throttling single
    addresses would let it rotate freely (threat: address rotation).
    """
    parsed = _parse_ip(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted_proxies: Iterable[str | IPNetwork],
) -> str:
    """The client's address, honouring ``X-Forwarded-For`` only behind trusted proxies.

    ``peer`` is the TCP peer. Only when it is a trusted proxy is the header read, from
    the right: each trusted proxy appended the address it saw, so the first address from
    the right that is *not* a trusted proxy is the client. Everything left of it was
    written by the client and is ignored (threat: a spoofed X-Forwarded-For escaping
    throttling or framing someone else). Join repeated header lines with "," in order.
    """
    return _client_address(peer, forwarded_for, tuple(trusted_proxies))


@functools.lru_cache(maxsize=_REMEMBERED)
def _client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[str | IPNetwork, ...]
) -> str:
    networks = [ipaddress.ip_network(net, strict=False) for net in trusted_proxies]
    current = _parse_ip(peer) if peer else None
    if current is None:
        return peer or "unknown"
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and _is_trusted(current, networks):
        hop = _parse_ip(hops.pop())
        if hop is None:
            break  # garbage at a place a trusted proxy wrote: stop at the last good hop
        current = hop
    return str(current)


def _is_trusted(address: IPAddress, networks: list[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def _parse_ip(text: str | None) -> IPAddress | None:
    """An IP from ``1.2.3.4``, ``1.2.3.4:80``, ``::1`` or ``[::1]:80``; None if not one."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:1.2.3.4 is 1.2.3.4
    return address
