"""What one client may hold over GraphQL's WebSocket: message size, and connections.

Threat: memory exhaustion. A WebSocket message is buffered whole before it is parsed
(uvicorn accepts 16 MiB by default), and a connection costs memory for as long as it is
open; measured before these caps, 20 anonymous 15 MB messages took an API from 187 to
668 MB. So:

- a text message longer than the HTTP body limit closes the connection with ``1009``
  (Message Too Big, RFC 6455 §7.4.1) before it is decoded;
- a client address (the IPv4 address or the IPv6 /64, ``X-Forwarded-For`` counting only
  from ``BAAS_TRUSTED_PROXIES``) may hold ``max_connections_per_address`` connections in
  one API process; one more is accepted and at once closed with ``1013`` (Try Again
  Later), which clients such as graphql-ws treat as retryable.

These come on top of the HTTP edge's own cap on connections of any kind
(:mod:`baas.connection_limits`): a WebSocket lives long and holds a subscription's
state, so fewer of them are allowed per address.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from auth.client_addresses import address_bucket, client_address

__all__ = ["MESSAGE_TOO_BIG", "TRY_AGAIN_LATER", "CappedWebSocket", "ConnectionsPerAddress"]

MESSAGE_TOO_BIG = 1009
TRY_AGAIN_LATER = 1013


class CappedWebSocket(WebSocket):
    """A Starlette WebSocket whose text messages may hold at most ``max_bytes`` bytes."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, *, max_bytes: int) -> None:
        super().__init__(scope, receive, send)
        self.max_bytes = max_bytes

    async def receive_text(self) -> str:
        text = await super().receive_text()
        # A character is 1 to 4 bytes in UTF-8: encode only when the length cannot tell.
        if len(text) > self.max_bytes // 4 and (
            len(text) > self.max_bytes
            or len(text.encode("utf-8", "surrogatepass")) > self.max_bytes
        ):
            await self.close(MESSAGE_TOO_BIG, f"A message may hold at most {self.max_bytes} bytes")
            raise WebSocketDisconnect(MESSAGE_TOO_BIG)
        return text


class ConnectionsPerAddress:
    """Open connections by client address, in this process (module docstring)."""

    def __init__(self, limit: int, trusted_proxies: Iterable[str]) -> None:
        self.limit = limit
        self.trusted_proxies = tuple(trusted_proxies)
        self._open: Counter[str] = Counter()

    def address_of(self, websocket: WebSocket) -> str:
        peer = websocket.client.host if websocket.client else None
        forwarded = ",".join(websocket.headers.getlist("x-forwarded-for")) or None
        return address_bucket(client_address(peer, forwarded, self.trusted_proxies))

    @contextlib.asynccontextmanager
    async def admitted(self, websocket: WebSocket, subprotocol: str) -> AsyncIterator[bool]:
        """Whether ``websocket`` may go on; counted as open until the block ends.

        A refused one is accepted (with ``subprotocol`` when the client offered it, so
        that clients see the close code, not a failed handshake) and closed with 1013.
        """
        address = self.address_of(websocket)
        self._open[address] += 1
        try:
            if self._open[address] <= self.limit:
                yield True
                return
            offered = websocket.scope.get("subprotocols") or ()
            # A refused client may be gone already (a flood does not wait): nothing to say.
            with contextlib.suppress(WebSocketDisconnect, OSError):
                await websocket.accept(subprotocol if subprotocol in offered else None)
                await websocket.close(
                    TRY_AGAIN_LATER, "Too many connections from this address; try again later"
                )
            yield False
        finally:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]
