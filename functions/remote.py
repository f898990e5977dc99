"""A function process's side of its channel: the store, mail, heartbeats and logs, all
served by the worker.

Why proxies, not a store connection of the process's own: the worker keeps the only
connection, built for the call's caller as before (``FunctionRuntime.store_for``). A
function process holds no database handle, no credentials and no keys, and cannot pick
whom it acts for: the worker decides that from the call, not from anything the process
says (threat: a function escalating to the system caller, or reading raw rows past the
access rules, e.g. through ``ActingStore.store``). It also keeps every store backend
(SQLite, PostgreSQL, a test's fake) working unchanged, at the cost of one round trip on
the channel per store call (measured in ``bench/workflows.py``).

:class:`RemoteObject` exposes the public methods of the worker's object: ``async`` ones
as coroutines, plain ones as blocking calls (the answer arrives on the reader thread, so
blocking the event loop for it is safe). Arguments must be plain data
(:func:`functions.wire.check_plain`); results and errors come back as the worker's
objects (the process trusts its worker).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import socket
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from functions.services import OutgoingEmail
from functions.wire import HEADER, check_plain, encode

__all__ = ["Channel", "ForwardingLogHandler", "RemoteMail", "RemoteObject"]


@dataclass
class _Reply:
    """Where the answer to one request goes: an asyncio future, or a waiting thread."""

    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[tuple[bool, Any]] | None = None
    event: threading.Event = field(default_factory=threading.Event)
    value: tuple[bool, Any] = (False, None)


class Channel:
    """The process's socket to its worker: messages out, a reader thread for messages in."""

    READER = "baas-function-channel"

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()
        self._pending: dict[int, _Reply] = {}
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def start(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[tuple[str, Any]]:
        """Start reading; the worker's ``hello`` and ``call`` messages arrive in the queue."""
        self._loop = loop
        threading.Thread(target=self._read, name=self.READER, daemon=True).start()
        return self._inbox

    def send(self, message: tuple[Any, ...]) -> None:
        data = encode(message)
        with self._send_lock:
            self._sock.sendall(data)

    def heartbeat(self, *details: Any) -> None:
        check_plain(details)
        self.send(("heartbeat", details))

    def describe(self, target: str) -> dict[str, bool]:
        """The public methods of the worker's ``target`` object: name -> is it async."""
        methods: dict[str, bool] = self._wait(self._ask(("describe", target), _Reply()))
        return methods

    async def request(self, target: str, method: str, args: Any, kwargs: Any) -> Any:
        check_plain((args, kwargs))
        loop = asyncio.get_running_loop()
        reply = _Reply(loop=loop, future=loop.create_future())
        self._ask(("request", target, method, args, kwargs), reply)
        assert reply.future is not None  # noqa: S101 - set just above
        ok, value = await reply.future
        return _unwrap(ok, value)

    def request_sync(self, target: str, method: str, args: Any, kwargs: Any) -> Any:
        check_plain((args, kwargs))
        return self._wait(self._ask(("request", target, method, args, kwargs), _Reply()))

    def _ask(self, message: tuple[Any, ...], reply: _Reply) -> _Reply:
        ident = next(self._ids)
        self._pending[ident] = reply
        try:
            self.send((message[0], ident, *message[1:]))
        except BaseException:
            self._pending.pop(ident, None)
            raise
        return reply

    @staticmethod
    def _wait(reply: _Reply) -> Any:
        reply.event.wait()
        return _unwrap(*reply.value)

    def _read(self) -> None:
        try:
            while True:
                (size,) = HEADER.unpack(self._receive(HEADER.size))
                message = pickle.loads(self._receive(size))  # noqa: S301 - from our worker
                if message[0] == "reply":
                    self._settle(message[1], message[2], message[3])
                elif self._loop is not None:
                    self._loop.call_soon_threadsafe(self._inbox.put_nowait, message)
        finally:
            # The worker closed the channel (it stopped, or died): nothing is left to do,
            # whatever the function is busy with.
            os._exit(0)

    def _receive(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return bytes(data)

    def _settle(self, ident: int, ok: bool, value: Any) -> None:
        reply = self._pending.pop(ident, None)
        if reply is None:
            return
        if reply.future is not None and reply.loop is not None:
            reply.loop.call_soon_threadsafe(_resolve, reply.future, (ok, value))
        else:
            reply.value = (ok, value)
            reply.event.set()


def _resolve(future: asyncio.Future[tuple[bool, Any]], value: tuple[bool, Any]) -> None:
    if not future.done():  # the awaiting call may have been cancelled meanwhile
        future.set_result(value)


def _unwrap(ok: bool, value: Any) -> Any:
    if ok:
        return value
    raise value


class RemoteObject:
    """The worker's ``target`` object (``"store"``), as a function process sees it."""

    def __init__(self, channel: Channel, target: str) -> None:
        self._channel = channel
        self._target = target
        self._methods = channel.describe(target)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        is_async = self._methods.get(name)
        if is_async is None:
            raise AttributeError(f"the {self._target} has no method {name!r}")
        channel, target = self._channel, self._target
        if is_async:

            def call_async(*args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
                return channel.request(target, name, args, kwargs)

            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:
            return channel.request_sync(target, name, args, kwargs)

        return call

    def __repr__(self) -> str:
        return f"<remote {self._target}: {', '.join(sorted(self._methods))}>"


class RemoteMail:
    """The worker's mail sender (``ctx.mail``)."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        await self._channel.request("mail", "send", (email,), {"idempotency_key": idempotency_key})


class ForwardingLogHandler(logging.Handler):
    """Hands each record to the worker, which logs it with its own handlers (under the
    call's function and call id, as the worker knows them)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text = f"{text}\n{logging.Formatter().formatException(record.exc_info)}"
            self._channel.send(("log", record.levelno, record.name, text))
        except Exception:  # noqa: BLE001 - a log line must never fail the function
            self.handleError(record)
