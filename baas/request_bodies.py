"""Request bodies, read up to a limit: the one body reader of every route.

Threat: memory exhaustion by large bodies. Every route that reads a body (``/auth/*``,
``/graphql``, ``/dynamodb`` on the API's port and on its own) reads it through a
:class:`BodyBuffer`, which counts the bytes as they arrive and refuses the body as soon
as it passes the route's limit: at once when ``Content-Length`` declares more, and for
a chunked body (which declares nothing) at the first chunk past the limit. Nothing
beyond the limit is ever held, so an unauthenticated client cannot make the process
buffer more than the largest limit, whatever it sends.

A client that closes its connection mid-body raises :class:`ClientDisconnectedError`:
there is nobody to answer, and it is not a failure of the server (it is counted with
status 499, as nginx does, and never logged as a crash).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Receive, Scope

from baas.errors import BodyTooLargeError, ClientDisconnectedError

__all__ = ["CLIENT_CLOSED_REQUEST", "BodyBuffer", "declared_length", "read_body"]

# nginx's status for "the client closed the connection before the answer": nobody reads
# it, but the request is counted (in /metrics and the log line) as the client's doing.
CLIENT_CLOSED_REQUEST = 499


class BodyBuffer:
    """The chunks of one body, refused past ``limit`` bytes.

    ``declared`` is the request's ``Content-Length`` (None when it sent none, e.g. a
    chunked body); a declared length above the limit is refused before any byte is read.
    """

    __slots__ = ("_chunks", "limit", "size")

    def __init__(self, limit: int, declared: int | None = None) -> None:
        if declared is not None and declared > limit:
            raise BodyTooLargeError(limit)
        self.limit = limit
        self.size = 0
        self._chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk``; BodyTooLargeError when the body passes the limit with it."""
        self.size += len(chunk)
        if self.size > self.limit:
            self._chunks.clear()  # nothing of a refused body is kept
            raise BodyTooLargeError(self.limit)
        if chunk:
            self._chunks.append(chunk)

    def take(self) -> bytes:
        """The body read so far, as one bytes object."""
        if len(self._chunks) == 1:
            return self._chunks[0]
        return b"".join(self._chunks)


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The ``Content-Length`` of raw header lines (names lower-case), if it is a number.

    A malformed value never reaches a route: the HTTP parser refuses the request first.
    """
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body of the ASGI request ``scope``, at most ``limit`` bytes.

    Raises BodyTooLargeError past the limit (what is still unsent is never read) and
    ClientDisconnectedError when the client goes away first.
    """
    buffer = BodyBuffer(limit, declared_length(scope["headers"]))
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError()
        buffer.add(message.get("body", b""))
        if not message.get("more_body", False):
            return buffer.take()
