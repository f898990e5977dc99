"""The worker's end of one pool process: its channel, its calls, its end.

A :class:`PoolProcess` sends a call and then serves what the call asks for — store and
mail requests (run by the worker, as the call's caller: :class:`CallServices`),
heartbeats (passed to Temporal from the activity's own context), log records — until
the process answers. Meanwhile it watches the call: past its wall-clock or CPU-time
limit, or above its thread limit, it ends the process (SIGKILL to its process group)
and the call fails with ``timeout``, ``cpu_limit`` or ``thread_limit``; a process that
ends by itself mid-call fails it with ``function_crashed``. Anything the process sends
that breaks the protocol ends it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import pickle
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from temporalio import activity

from functions.errors import (
    CallTimeoutError,
    CpuLimitError,
    FunctionCrashedError,
    FunctionError,
    NotConfiguredError,
    ThreadLimitError,
)
from functions.limits import CallLimits, ProcessProfile
from functions.services import ActsAs, Caller, FunctionRuntime
from functions.wire import HEADER, FrameSplitter, ProtocolError, encode, load_untrusted

__all__ = ["CallServices", "PoolProcess", "RemoteFunctionError"]

_log = logging.getLogger("baas.functions.pool")
_WATCH_EVERY_SECONDS = 0.05
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_OWN_THREADS = 2  # the process's main thread and its channel reader
_ENDED = ("ended",)


class RemoteFunctionError(Exception):
    """The function failed in its process; what the worker reports to Temporal."""

    def __init__(self, code: str, message: str, *, retryable: bool, traceback: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.traceback = traceback


class CallServices:
    """What one call may reach in the worker: the store as its caller, the mail sender.

    The caller comes from the call (Temporal's headers), never from the process.
    """

    def __init__(self, runtime: FunctionRuntime, caller: Caller, acts_as: ActsAs) -> None:
        self._runtime = runtime
        self._caller = caller
        self._acts_as = acts_as
        self._store: Any = None

    def target(self, name: object) -> Any:
        if name == "store":
            if self._store is None:
                self._store = self._runtime.store_for(self._caller, self._acts_as)
            return self._store
        if name == "mail":
            if self._runtime.mail is None:
                raise NotConfiguredError("this worker has no mail sender configured")
            return self._runtime.mail
        raise ProtocolError(f"unknown service {name!r}")

    def describe(self, name: object) -> dict[str, bool]:
        """The public methods of a service: name -> whether it is a coroutine function."""
        return _public_methods(type(self.target(name)))

    async def invoke(self, name: object, method: object, args: object, kwargs: object) -> Any:
        if not isinstance(method, str) or method not in self.describe(name):
            # Only public methods of the class: never an attribute such as the raw store
            # behind an ActingStore (threat: reading past the access rules).
            raise AttributeError(f"the {name} has no method {method!r}")
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise ProtocolError("malformed request")
        if not all(isinstance(key, str) for key in kwargs):
            raise ProtocolError("malformed request")
        result = getattr(self.target(name), method)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


_METHODS: dict[type, dict[str, bool]] = {}


def _public_methods(kind: type) -> dict[str, bool]:
    methods = _METHODS.get(kind)
    if methods is None:
        methods = _METHODS[kind] = {
            method: inspect.iscoroutinefunction(attribute)
            for method in dir(kind)
            if not method.startswith("_") and callable(attribute := getattr(kind, method))
        }
    return methods


class PoolProcess(asyncio.Protocol):
    """One process of the pool, as the worker sees it."""

    def __init__(
        self, profile: ProcessProfile, on_end: Callable[[PoolProcess], None] | None = None
    ) -> None:
        self.profile = profile
        self._on_end = on_end
        self.pid = 0
        self.reusable = True
        self.ended = asyncio.Event()
        self._transport: asyncio.Transport | None = None
        self._splitter = FrameSplitter()
        self._inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._call: Mapping[str, Any] | None = None
        self._end_reason: FunctionError | None = None
        self._requests: set[asyncio.Task[None]] = set()

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A socket transport (uvloop's, under `baas worker`, does not derive from asyncio's).
        self._transport = cast(asyncio.Transport, transport)
        if not self.reusable:  # ended while it was connecting
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        try:
            for frame in self._splitter.feed(data):
                message = load_untrusted(frame)
                if not isinstance(message, tuple) or not message:
                    raise ProtocolError("a message is a non-empty tuple")
                if message[0] == "log":
                    _relay_log(message, self._call)
                else:
                    self._inbox.put_nowait(message)
        except ProtocolError as exc:
            _log.warning("function process %d broke the protocol (%s); ending it", self.pid, exc)
            self.end(FunctionCrashedError("the function's process sent a malformed message"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self._inbox.put_nowait(_ENDED)
        self.ended.set()
        if self._on_end is not None:
            self._on_end(self)

    # --- life -------------------------------------------------------------------------

    async def start(self, pid: int, hello: Mapping[str, Any], within: float) -> None:
        """Greet the process forked as ``pid``; returns when it is ready for calls."""
        self.pid = pid
        self._send(("hello", dict(hello)))
        async with asyncio.timeout(within):
            message = await self._inbox.get()
        if message[0] != "ready":
            self.end(None)
            raise FunctionCrashedError("a function process failed to start")

    def end(self, reason: FunctionError | None) -> None:
        """End the process now (and whatever it started); ``reason`` fails its call."""
        if self._end_reason is None:
            self._end_reason = reason
        self.reusable = False
        if self.pid and not self.ended.is_set():
            # Its own process group: the function's subprocesses end with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
        if self._transport is not None:
            self._transport.abort()
        else:  # never connected: there is no connection to lose
            self.ended.set()

    # --- calls ------------------------------------------------------------------------

    async def run(
        self, call: Mapping[str, Any], services: CallServices, limits: CallLimits
    ) -> bytes:
        """Run ``call``; its encoded result, or the failure as an exception."""
        self._call = call
        watcher = asyncio.create_task(self._watch(limits))
        try:
            self._send(("call", dict(call)))
            while True:
                message = await self._inbox.get()
                kind = message[0]
                if kind in ("done", "failed"):
                    if len(message) != 3 or not isinstance(message[2], bool):
                        raise ProtocolError("malformed answer")
                    if message[2]:
                        self.reusable = False  # it exits: something could leak into the next call
                    if kind == "failed":
                        raise _remote_failure(message[1])
                    if not isinstance(message[1], bytes):
                        raise ProtocolError("a result is bytes")
                    return message[1]
                if kind == "ended":
                    raise self._end_reason or FunctionCrashedError(
                        "the function's process ended during the call"
                    )
                self._serve(message, services)
        except asyncio.CancelledError:
            # Temporal cancelled the call (or the worker stops): the process ends with it.
            self.end(None)
            raise
        except ProtocolError:
            self.end(None)
            raise FunctionCrashedError("the function's process sent a malformed message") from None
        finally:
            watcher.cancel()
            for task in self._requests:
                task.cancel()
            self._call = None

    def _serve(self, message: tuple[Any, ...], services: CallServices) -> None:
        kind = message[0]
        if kind == "heartbeat" and len(message) == 2 and isinstance(message[1], tuple):
            with contextlib.suppress(RuntimeError):  # outside an activity (a direct test)
                activity.heartbeat(*message[1])
        elif kind == "describe" and len(message) == 3:
            self._answer(message[1], lambda: services.describe(message[2]))
        elif kind == "request" and len(message) == 6:
            task = asyncio.create_task(self._request(services, *message[1:]))
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)
        else:
            raise ProtocolError(f"unexpected message {kind!r}")

    async def _request(
        self, services: CallServices, ident: object, name: object, method: object, *rest: object
    ) -> None:
        try:
            value = await services.invoke(name, method, *rest)
        except ProtocolError:
            self.end(FunctionCrashedError("the function's process sent a malformed request"))
            return
        except Exception as exc:  # noqa: BLE001 - the store's own errors go back to the function
            self._reply(ident, exc, ok=False)
        else:
            self._reply(ident, value, ok=True)

    def _answer(self, ident: object, compute: Any) -> None:
        try:
            self._reply(ident, compute(), ok=True)
        except ProtocolError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. NotConfiguredError: the function's to see
            self._reply(ident, exc, ok=False)

    def _reply(self, ident: object, value: object, *, ok: bool) -> None:
        try:
            data = encode(("reply", ident, ok, value))
            if not ok:
                # An exception class whose __init__ wants other arguments pickles but does
                # not unpickle: found here, not by the process's reader.
                pickle.loads(data[HEADER.size :])  # noqa: S301 - our own bytes
        except Exception as exc:  # noqa: BLE001 - whatever cannot travel is described instead
            substitute: Exception = RuntimeError(f"{type(value).__name__}: {value}")
            if ok:
                substitute = TypeError(f"the result cannot be sent to the function ({exc})")
            data = encode(("reply", ident, False, substitute))
        self._write(data)

    def _send(self, message: tuple[Any, ...]) -> None:
        self._write(encode(message))

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    async def _watch(self, limits: CallLimits) -> None:
        """End the process at the call's wall-clock limit, or past its CPU or thread limit."""
        started = time.monotonic()
        cpu_before, _ = _usage(self.pid)
        thread_limit = limits.profile.threads + _OWN_THREADS
        while True:
            left = limits.timeout - (time.monotonic() - started)
            if left <= 0:
                self.end(CallTimeoutError(f"the call ran past its timeout of {limits.timeout:g} s"))
                return
            await asyncio.sleep(min(_WATCH_EVERY_SECONDS, left))
            cpu, threads = _usage(self.pid)
            if cpu - cpu_before > limits.cpu_seconds:
                self.end(
                    CpuLimitError(f"the call used more than {limits.cpu_seconds:g} s of CPU time")
                )
                return
            if threads > thread_limit:
                self.end(
                    ThreadLimitError(f"the call started more than {limits.profile.threads} threads")
                )
                return


def _usage(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and thread count of ``pid``, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except OSError:
        return 0.0, 0
    # Fields after the command name start at field 3 (state): utime is 14, stime 15,
    # num_threads 20 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS, int(fields[17])


def _remote_failure(details: object) -> RemoteFunctionError:
    if not isinstance(details, dict):
        raise ProtocolError("malformed failure")
    code, message = details.get("code"), details.get("message")
    retryable, trace = details.get("retryable"), details.get("traceback")
    if not (
        isinstance(code, str)
        and isinstance(message, str)
        and isinstance(retryable, bool)
        and isinstance(trace, str)
    ):
        raise ProtocolError("malformed failure")
    return RemoteFunctionError(code, message, retryable=retryable, traceback=trace)


def _relay_log(message: tuple[Any, ...], call: Mapping[str, Any] | None) -> None:
    """Log a record of the process under its call's function, as the worker knows it.

    The logger is the function's own (``baas.functions.<name>``), never one named by the
    process: a name per record would make the worker keep a logger for each (threat: a
    function exhausting the worker's memory through its logs).
    """
    if len(message) != 4:
        raise ProtocolError("malformed log record")
    _, level, name, text = message
    if not (isinstance(level, int) and isinstance(name, str) and isinstance(text, str)):
        raise ProtocolError("malformed log record")
    function = call["function"] if call is not None else None
    logger = logging.getLogger(f"baas.functions.{function}" if function else "baas.functions")
    if name != logger.name:
        text = f"[{name}] {text}"
    extra = {"function": function, "call_id": call["call_id"]} if call is not None else None
    logger.log(level, "%s", text, extra=extra)
