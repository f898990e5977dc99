"""The connection limits of the HTTP edge: a deadline for request heads, a cap per client.

Threats: slowloris (a client opens many connections and sends its request headers a
byte at a time, or not at all, so each one holds a socket, a buffer and a slot for
ever) and connection exhaustion from one address. uvicorn closes a connection idle
*between* requests, but one that never finishes its headers stays open; nothing caps how
many connections one address holds.

- **Head deadline**: a connection must send the complete head of each request (request
  line and headers) within ``header_timeout`` seconds of its first byte, or of opening
  the connection for the first request; otherwise it is closed. A keep-alive connection
  idle between requests is uvicorn's to close (its keep-alive timeout).
- **Per-client cap**: at most ``max_per_client`` connections open at once from one
  address; one more is answered ``503`` with ``Retry-After`` and closed at once.
  Addresses in ``exempt`` (the trusted proxies: many clients share their address) are
  never capped; ``max_per_client=0`` turns the cap off.

:func:`guarded_http_protocol` gives uvicorn an HTTP protocol enforcing both (``baas
serve``'s API port); :class:`~baas.dynamodb.server.DynamoDBServer` enforces them on the
DynamoDB port with the same :class:`ClientConnections`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["ClientConnections", "ConnectionLimits", "guarded_http_protocol", "refuse"]

_log = logging.getLogger("baas.http")
# What a refused connection is told before it is closed (RFC 9110 §15.6.4).
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"retry-after: 1\r\n"
    b"connection: close\r\n"
    b"content-length: 44\r\n\r\n"
    b"Too many connections from this address.\r\n\r\n"
)
# A refusal is logged at most this often (a flood must not flood the log too).
_LOG_EVERY_SECONDS = 10.0
# Addresses whose connections all ended elsewhere (an upgrade to WebSocket hands the
# socket to another protocol) are swept after this many admissions.
_SWEEP_EVERY = 1024


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits (BAAS_HTTP_HEADER_TIMEOUT, BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT)."""

    header_timeout: float = 10.0
    max_per_client: int = 256
    exempt: tuple[str, ...] = ()  # networks, e.g. "10.0.0.0/8" (BAAS_TRUSTED_PROXIES)


class ClientConnections:
    """The open connections of each client address, for one process.

    Connections are tracked by transport: a transport that is closing no longer counts,
    whichever protocol owned it last (an upgraded WebSocket keeps the socket but is
    another protocol), so nothing can leak a slot.
    """

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._exempt_networks = [ipaddress.ip_network(n, strict=False) for n in limits.exempt]
        self._open: dict[str, set[Any]] = {}
        self._admitted = 0
        self._logged_at = 0.0

    def admit(self, transport: Any) -> bool:
        """Whether the new connection on ``transport`` may stay (then it is counted)."""
        address = _address_of(transport)
        if address is None or self.limits.max_per_client <= 0 or self._exempt(address):
            return True
        self._admitted += 1
        if self._admitted % _SWEEP_EVERY == 0:
            self._sweep()
        held = self._open.setdefault(address, set())
        if len(held) >= self.limits.max_per_client:
            held.difference_update([t for t in held if t.is_closing()])
        if len(held) >= self.limits.max_per_client:
            self._log_refusal(address)
            return False
        held.add(transport)
        return True

    def release(self, transport: Any) -> None:
        """The connection on ``transport`` is closed."""
        address = _address_of(transport)
        held = self._open.get(address) if address is not None else None
        if held is not None:
            held.discard(transport)
            if not held:
                del self._open[address]  # type: ignore[arg-type]

    def open_from(self, address: str) -> int:
        """How many connections ``address`` holds (for tests and diagnostics)."""
        return sum(1 for t in self._open.get(address, ()) if not t.is_closing())

    def _exempt(self, address: str) -> bool:
        if not self._exempt_networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._exempt_networks)

    def _sweep(self) -> None:
        for address, held in list(self._open.items()):
            held.difference_update([t for t in held if t.is_closing()])
            if not held:
                del self._open[address]

    def _log_refusal(self, address: str) -> None:
        now = time.monotonic()
        if now - self._logged_at >= _LOG_EVERY_SECONDS:
            self._logged_at = now
            _log.warning(
                "refusing connections from %s: %d open (BAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT)",
                address,
                self.limits.max_per_client,
            )


def refuse(transport: Any) -> None:
    """Tell a connection over the cap to retry later, and close it."""
    transport.write(REFUSAL)
    transport.close()


def _address_of(transport: Any) -> str | None:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer and isinstance(peer[0], str):
        return peer[0]
    return None  # a Unix socket: one local client, nothing to cap


class _GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the head deadline and the per-client cap."""

    # Set by guarded_http_protocol (uvicorn's own `connections` is its set of protocols).
    client_connections: ClientConnections

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if not self.client_connections.admit(transport):
            self._refused = True
            refuse(transport)
            return
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return  # uvicorn never knew this connection
        self._disarm_head_deadline()
        self.client_connections.release(self.transport)
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_head_deadline()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(
                self.client_connections.limits.header_timeout, self._head_timed_out
            )

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            _log.debug("closing a connection that sent no complete request head in time")
            self.transport.close()


def guarded_http_protocol(connections: ClientConnections) -> type[asyncio.Protocol]:
    """The HTTP protocol class for ``uvicorn.Config(http=...)`` enforcing ``connections``."""
    return type(
        "GuardedHttpToolsProtocol",
        (_GuardedHttpToolsProtocol,),
        {"client_connections": connections},
    )
