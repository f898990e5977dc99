"""The DynamoDB endpoint on a port of its own: a small HTTP/1.1 server.

SDKs talk to DynamoDB in small POSTs, one at a time per keep-alive connection. Through
uvicorn and ASGI, the plumbing of each request (a task, a scope, messages, two socket
writes) costs about as much as answering it; this server parses with httptools (the
parser uvicorn uses), calls :meth:`DynamoDBEndpoint.answer` directly and writes each
response with a single write. ``BAAS_DYNAMODB_PORT`` serves the endpoint this way; on
the API's port it stays an ASGI route.

What it does of HTTP/1.1 (RFC 9112):

- persistent connections: HTTP/1.1 unless ``Connection: close``, HTTP/1.0 only with
  ``Connection: keep-alive``; pipelined requests are answered in order, one at a time;
- request bodies by ``Content-Length`` or chunked, up to ``MAX_BODY_BYTES`` (413 and
  the connection is closed past it, before the rest is read); ``Expect: 100-continue``
  gets its interim answer;
- a malformed request or a request head over 64 KiB gets a 400 (or 431), the answers
  still due before it, and the connection is closed (after the client has read the
  refusal); a request asking for an upgrade is answered as a plain one, then closed;
- flow control: a client that does not read its answers is not read from either;
- a connection idle for ``keep_alive_seconds`` is closed, and one that has not sent a
  complete request head within the head deadline is closed too (slowloris); one client
  address holds at most so many connections at once (see :mod:`baas.connection_limits`);
- :meth:`DynamoDBServer.shutdown` stops listening, closes idle connections and lets
  the requests in progress finish (up to a grace period) before closing the rest.

Given the process's :class:`~baas.metrics.HttpMetrics`, every request is counted there
under the ``/dynamodb`` path group and gets the API's log line, as on the API's port.

A ``POST`` is a DynamoDB call; any other method answers the health line, without
reading or writing data (as DynamoDB does for tools' health checks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Coroutine, Generator, Iterable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol, cast

import httptools

from baas.connection_limits import ClientConnections, ConnectionLimits, refuse
from baas.dynamodb.errors import RETRY_AFTER, DynamoDBApiError
from baas.dynamodb.protocol import (
    CONTENT_TYPE,
    HEALTH_CONTENT_TYPE,
    MAX_BODY_BYTES,
    too_large,
)
from baas.errors import BodyTooLargeError
from baas.json_bodies import dumps
from baas.metrics import HttpMetrics
from baas.request_bodies import BodyBuffer, declared_length
from baas.request_ids import new_request_id, request_answered

__all__ = ["Answerer", "DynamoDBServer"]

_log = logging.getLogger("baas.dynamodb")
MAX_HEAD_BYTES = 64 * 1024
# Requests read ahead of the one being answered; past this, reading pauses.
_MAX_PIPELINED = 16
_SWEEP_SECONDS = 1.0
# How long a refused client may go on sending before its connection is closed.
_LINGER_SECONDS = 2.0


class Answerer(Protocol):
    """What the server serves: :class:`DynamoDBEndpoint` is one."""

    health: bytes

    async def answer(
        self,
        raw_path: bytes,
        query_string: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
    ) -> tuple[int, bytes]:
        """The status and JSON body answering a POST (never raises)."""
        ...


class _Request(NamedTuple):
    method: bytes
    path: bytes
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


class DynamoDBServer:
    """Serves one :class:`DynamoDBEndpoint` on ``host:port`` (port 0: any free port)."""

    def __init__(
        self,
        endpoint: Answerer,
        host: str,
        port: int,
        *,
        keep_alive_seconds: float = 30.0,
        metrics: HttpMetrics | None = None,
        connections: ClientConnections | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.host = host
        self.port = port
        self.keep_alive_seconds = keep_alive_seconds
        self.metrics = metrics or HttpMetrics()
        self.connections = connections or ClientConnections(ConnectionLimits())
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._all_closed = asyncio.Event()
        self._date = (0, b"")

    async def start(self) -> None:
        """Listen; ``port`` is then the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep(), name="dynamodb-idle-sweep")

    async def serve(self) -> None:
        """Start, then serve until :meth:`shutdown`."""
        await self.start()
        await self._stopped.wait()

    async def shutdown(self, *, grace_seconds: float = 10.0, force: bool = False) -> None:
        """Stop listening; let requests in progress finish, then close every connection.

        ``force`` closes every connection at once (a second Ctrl-C).
        """
        if self._server is not None:
            self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for connection in list(self._connections):
            connection.drain()
        if self._connections and not force:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), grace_seconds)
        for connection in list(self._connections):
            connection.abort()
        self._stopped.set()

    def track(self, connection: _Connection) -> None:
        """A connection is open."""
        self._connections.add(connection)
        self._all_closed.clear()

    def forget(self, connection: _Connection) -> None:
        """A connection is closed."""
        self._connections.discard(connection)
        if not self._connections:
            self._all_closed.set()

    def date_header(self) -> bytes:
        """The ``date`` header line, formatted once a second."""
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n")
        return self._date[1]

    async def _sweep(self) -> None:
        header_timeout = self.connections.limits.header_timeout
        interval = min(_SWEEP_SECONDS, self.keep_alive_seconds / 2, header_timeout / 2)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            idle_since = now - self.keep_alive_seconds
            head_since = now - header_timeout
            for connection in list(self._connections):
                if connection.idle_since(idle_since) or connection.head_late(head_since):
                    connection.close()


class _Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them in order.

    Requests queue up as they are parsed (pipelining); one is answered at a time. Once
    reading stops (a request without keep-alive, a refusal, an upgrade, a shutdown),
    the answers still due are written, then the refusal if there is one, then the
    connection closes.
    """

    def __init__(self, server: DynamoDBServer) -> None:
        self._server = server
        self._endpoint = server.endpoint
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._queue: deque[_Request] = deque()
        self._task: asyncio.Task[None] | None = None
        self._closing = False  # closed, or closing: nothing more is read or written
        self._done_reading = False  # no more requests are parsed on this connection
        self._refusal: bytes | None = None  # the last answer, after those still due
        self._refusal_status = 400
        self._write_paused = False
        self._read_paused = False
        self._last_active = time.monotonic()
        self._refused = False  # over the per-client cap: never served
        # The request being parsed; its head began at _head_since (None: head complete).
        self._head_since: float | None = self._last_active
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body = BodyBuffer(MAX_BODY_BYTES)
        self._head_bytes = 0

    # --- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream server's transport (uvloop's is not a subclass of asyncio.Transport).
        if not self._server.connections.admit(transport):
            self._refused = self._closing = True
            refuse(transport)
            return
        self._transport = cast(asyncio.Transport, transport)
        self._server.track(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        # A call in progress still finishes (a write is never cut in half); only its
        # answer has nowhere to go.
        self._closing = True
        self._queue.clear()
        self._server.connections.release(self._transport)
        self._server.forget(self)

    def data_received(self, data: bytes) -> None:
        if self._done_reading or self._closing:
            return  # after a refusal: what the client still sends is dropped
        self._last_active = time.monotonic()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._stop_reading()  # see on_message_complete
        except httptools.HttpParserError:
            if not self._done_reading:  # not already refused from a callback
                self._refuse(400, "The request is not valid HTTP/1.1.")

    def pause_writing(self) -> None:
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._update_reading()

    # --- httptools callbacks ---------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._head_since is None:
            self._head_since = time.monotonic()
        self._url = b""
        self._headers = []
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_bytes += len(url)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._head_too_large()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > MAX_HEAD_BYTES:
            self._head_too_large()

    def on_headers_complete(self) -> None:
        self._head_since = None
        if self._done_reading:
            return
        try:
            self._body = BodyBuffer(MAX_BODY_BYTES, declared_length(self._headers))
        except BodyTooLargeError:
            self._refuse_error(too_large())
            return
        if (b"expect", b"100-continue") in self._headers and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self._done_reading:
            return
        try:
            self._body.add(body)
        except BodyTooLargeError:
            self._refuse_error(too_large())

    def on_message_complete(self) -> None:
        if self._done_reading:
            return
        path, query = _split_target(self._url)
        keep_alive = self._parser.should_keep_alive()
        self._queue.append(
            _Request(
                self._parser.get_method(),
                path,
                query,
                self._headers,
                self._body.take(),
            )
        )
        if not keep_alive or self._parser.should_upgrade():
            # An upgrade is answered as a plain request: what follows it would be in
            # another protocol, which this server does not speak.
            self._done_reading = True
        if self._task is None:
            self._advance()
        else:
            self._update_reading()

    # --- answering -------------------------------------------------------------------

    def _advance(self) -> None:
        """Answer the queued requests in order, until one is in progress in ``_task``
        (which calls this again when it is done) or none is left."""
        while self._queue and not self._closing:
            request = self._queue.popleft()
            if request.method == b"POST":
                self._task = _run_eagerly(self._answer_call(request))
                if self._task is not None:
                    self._update_reading()
                    return
            else:
                health = self._endpoint.health
                body = b"" if request.method == b"HEAD" else health
                self._respond(200, body, HEALTH_CONTENT_TYPE, content_length=len(health))
                _answered(self._server.metrics, request.method, 200, 0.0)
        if self._done_reading:
            self._finish()
        else:
            self._update_reading()

    async def _answer_call(self, request: _Request) -> None:
        request_id = new_request_id()
        metrics = self._server.metrics
        metrics.in_flight += 1
        started = time.perf_counter()
        body: bytes | None
        try:
            status, body = await self._endpoint.answer(
                request.path, request.query, request.headers, request.body, request_id
            )
        except Exception:  # noqa: BLE001 - answer() handles every error: this is a bug
            _log.exception("the DynamoDB endpoint failed (request %s)", request_id)
            status, body = 500, None
        metrics.in_flight -= 1
        _answered(metrics, request.method, status, time.perf_counter() - started)
        if body is None:  # no answer to give: the connection is closed instead
            self._task = None
            self.close()
            return
        self._respond(status, body, CONTENT_TYPE, request_id=request_id)
        if self._task is not None:
            # It suspended, and a task finished it: go on with the queue from here.
            self._task = None
            self._advance()

    def _respond(
        self,
        status: int,
        body: bytes,
        content_type: bytes,
        *,
        content_length: int | None = None,
        request_id: str | None = None,
        last: bool | None = None,
    ) -> None:
        """Write one response; it says ``connection: close`` when it is the last."""
        transport = self._transport
        if transport is None or self._closing:
            return
        if last is None:
            last = self._done_reading and not self._queue and self._refusal is None
        length = len(body) if content_length is None else content_length
        transport.write(
            b"".join(
                (
                    _STATUS_LINES.get(status) or _status_line(status),
                    self._server.date_header(),
                    b"content-type: ",
                    content_type,
                    b"\r\ncontent-length: %d\r\nx-amzn-requestid: " % length,
                    (request_id or new_request_id()).encode(),
                    b"\r\nretry-after: %s" % RETRY_AFTER if status == 503 else b"",
                    b"\r\nconnection: close\r\n\r\n" if last else b"\r\n\r\n",
                    body,
                )
            )
        )
        self._last_active = time.monotonic()

    def _refuse(self, status: int, message: str) -> None:
        self._refuse_error(DynamoDBApiError("SerializationException", message, status=status))

    def _refuse_error(self, error: DynamoDBApiError) -> None:
        """Stop reading; answer ``error`` after the answers still due, then close."""
        self._refusal = self._refusal or dumps(error.body())
        self._refusal_status = error.status
        self._stop_reading()

    def _head_too_large(self) -> None:
        if not self._done_reading:
            self._refuse(431, "The request's headers are too large.")

    def _stop_reading(self) -> None:
        self._done_reading = True
        if self._task is None and not self._queue:
            self._finish()

    def _finish(self) -> None:
        """Every answer is written: send the refusal, if any, and close."""
        if self._closing or self._transport is None:
            return
        if self._refusal is None:
            self.close()
            return
        self._respond(self._refusal_status, self._refusal, CONTENT_TYPE, last=True)
        self._linger()

    def _linger(self) -> None:
        """Close once the client has read the refusal.

        Closing a socket with unread input resets the connection, and the client would
        lose the answer it has not read yet: so the sending side is shut, and what
        the client still sends is read and dropped until it closes (or for a while).
        """
        transport = self._transport
        if transport is None:
            return
        if transport.can_write_eof():
            transport.write_eof()
        if self._read_paused:
            self._read_paused = False
            transport.resume_reading()
        asyncio.get_running_loop().call_later(_LINGER_SECONDS, self.close)

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or self._closing:
            return
        pause = self._write_paused or len(self._queue) >= _MAX_PIPELINED
        if pause != self._read_paused:
            self._read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    # --- for the server --------------------------------------------------------------

    def idle_since(self, moment: float) -> bool:
        """Whether nothing happened on this connection since ``moment`` (monotonic)."""
        return self._task is None and not self._queue and self._last_active < moment

    def head_late(self, moment: float) -> bool:
        """Whether a request head begun before ``moment`` is still incomplete (slowloris)."""
        return self._head_since is not None and self._head_since < moment

    def drain(self) -> None:
        """Close now if idle, else right after the answer in progress (shutting down)."""
        self._queue.clear()
        self._stop_reading()

    def close(self) -> None:
        """Close after what is written is sent; nothing more is read or answered."""
        self._closing = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping what is not sent yet."""
        self._closing = True
        if self._transport is not None:
            self._transport.abort()


_STATUS_LINES = {
    status.value: b"HTTP/1.1 %d %s\r\n" % (status.value, status.phrase.encode())
    for status in HTTPStatus
}


def _status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d \r\n" % status


def _answered(metrics: HttpMetrics, method: bytes, status: int, seconds: float) -> None:
    # Every path of this port is the endpoint's: counted as the API's /dynamodb is.
    request_answered(metrics, method.decode("latin-1"), "/dynamodb", status, seconds)


def _split_target(target: bytes) -> tuple[bytes, bytes]:
    """The path and query of a request target (origin form, or absolute form)."""
    if target.startswith(b"/") and b"?" not in target:
        return target, b""  # what SDKs send
    url = httptools.parse_url(target)
    return url.path or b"/", url.query or b""


def _run_eagerly(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coroutine`` now, up to its first suspension; a task finishes the rest.

    Most calls never suspend (a read, a write committed inline), so they are answered
    within the callback that received them, without the task and the loop turn of
    ``create_task`` (Python 3.12's eager tasks, which 3.11 lacks). Returns the task,
    or None when the coroutine completed.
    """
    try:
        awaited = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_resume(coroutine, awaited))


async def _resume(coroutine: Coroutine[Any, Any, None], awaited: Any) -> None:
    """Drive ``coroutine``, suspended on ``awaited``, as the task running this does.

    What the coroutine awaits is handed to the task unchanged (a future, or None for a
    bare yield), and a cancellation of the task is thrown into the coroutine.
    """
    while True:
        try:
            await _Suspend(awaited)
        except BaseException as exc:  # noqa: BLE001 - the task's cancellation, forwarded
            try:
                awaited = coroutine.throw(exc)
            except StopIteration:
                return
            continue
        try:
            awaited = coroutine.send(None)
        except StopIteration:
            return


class _Suspend:
    """Awaiting it yields ``awaited`` to the task, exactly as the coroutine did."""

    __slots__ = ("awaited",)

    def __init__(self, awaited: Any) -> None:
        self.awaited = awaited

    def __await__(self) -> Generator[Any, None, None]:
        yield self.awaited
