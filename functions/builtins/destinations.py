"""Which network addresses the built-in HTTP function may reach.

Threat: server-side request forgery. A function that fetches a URL chosen by a user
could otherwise be pointed at the worker's own loopback services, the cloud metadata
endpoint (169.254.169.254), or the private network behind it. So the host is resolved
*here*, every address it resolves to must be public, and the request is then sent to
the address we checked (not re-resolved: DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from functions.errors import ForbiddenDestinationError

__all__ = ["is_public_address", "resolve_destination"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified ones."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast


async def resolve_destination(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses of ``host``; ForbiddenDestinationError if any is not public.

    Every address is checked, not just the first: a name resolving to one public and
    one private address must not be usable to reach the private one.
    """
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise ForbiddenDestinationError(f"cannot resolve host {host!r}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise ForbiddenDestinationError(f"host {host!r} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise ForbiddenDestinationError(
                    f"host {host!r} resolves to a non-public address ({address}); "
                    "private, loopback and link-local destinations are refused"
                )
    return addresses
