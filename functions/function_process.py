"""A pool process: runs its worker's function calls, one at a time, under limits.

Forked from the fork server (``functions/forkserver_main.py``), it first sets its own
limits — an address-space limit (RLIMIT_AS) of the runtime's present size plus the
profile's memory and room for its threads' stacks, no core files, its own session so
ending it ends whatever it started — then takes a ``hello`` from the worker (its
secrets, the payload converter, the log level) and answers ``ready``.

Each ``call`` builds the function's :class:`~functions.context.Context`, with the store
and mail as proxies to the worker (``functions/remote.py``), runs the function and
answers ``done`` with the encoded result, or ``failed`` with the error's code. A process
that may carry something into the next call — a thread or task still running, a
MemoryError — says so and exits; the worker replaces it.

A thread reads the channel, so that a proxied call made from synchronous code gets its
answer while the event loop is blocked, and so that the process exits as soon as the
worker goes away (EOF), even while a call is busy.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import ctypes
import importlib
import logging
import os
import resource
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadConverter

from functions.context import Context, bound_logger
from functions.errors import (
    FunctionError,
    InvalidInputError,
    InvalidOutputError,
    MemoryLimitError,
    ThreadLimitError,
)
from functions.registry import registry
from functions.remote import Channel, ForwardingLogHandler, RemoteMail, RemoteObject
from functions.services import ActsAs, Caller, FunctionRuntime

__all__ = ["forbid_inspection", "serve_process"]

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_DEFAULT_STACK_BYTES = 8 * 1024 * 1024
_MIB = 1024 * 1024
# Internal threads: the main thread and the channel reader.
_OWN_THREADS = 2
_LEFTOVER_JOIN_SECONDS = 0.2


def forbid_inspection() -> None:
    """Make this process non-dumpable: a process of the same user cannot trace it or read
    its memory or environment (/proc/<pid>/environ, /proc/<pid>/mem)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_DUMPABLE, 0)


def serve_process(channel_fd: int, memory_mb: int, threads: int) -> NoReturn:
    """Run as a pool process on ``channel_fd``; never returns."""
    code = 1
    try:
        _detach()
        _limit_resources(memory_mb, threads)
        channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=channel_fd)
        FunctionProcess(Channel(channel), memory_mb).run()
        code = 0
    except BaseException:  # noqa: BLE001 - the process ends here either way: say why
        traceback.print_exc()
    finally:
        os._exit(code)


def _detach() -> None:
    """Own session and process group (ending it ends what it started), die with the fork
    server, default signal handling (the fork server ignores SIGCHLD and SIGINT)."""
    os.setsid()
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    for signum in (signal.SIGCHLD, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)


def _limit_resources(memory_mb: int, threads: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    if stack <= 0 or stack == resource.RLIM_INFINITY:
        stack = _DEFAULT_STACK_BYTES
    with open("/proc/self/statm", "rb") as statm:
        present = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    # Hard and soft alike: the function cannot raise it again.
    limit = present + memory_mb * _MIB + (threads + _OWN_THREADS) * stack
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class FunctionProcess:
    """The calls of one pool process, and the services they reach through the channel."""

    def __init__(self, channel: Channel, memory_mb: int) -> None:
        self._channel = channel
        self._memory_mb = memory_mb
        self._thread_limit: int | None = None
        self._secrets: dict[str, str] = {}
        self._options: dict[str, Any] = {}
        self._converter: PayloadConverter | None = None
        self._executor = ThreadPoolExecutor()

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(self._executor)
        inbox = self._channel.start(loop)
        kind, hello = await inbox.get()
        if kind != "hello":
            return
        self._setup(hello)
        self._channel.send(("ready", os.getpid()))
        while True:
            kind, call = await inbox.get()
            if kind != "call":
                return
            outcome, recycle = await self._call(call)
            self._channel.send((*outcome, recycle))
            if recycle:
                return

    def _setup(self, hello: Mapping[str, Any]) -> None:
        os.environ.update(hello["environment"])
        self._secrets = dict(hello["secrets"])
        self._options = {
            "allow_private_network": hello["allow_private_network"],
            "max_payload_bytes": hello["max_payload_bytes"],
        }
        module_name, _, class_name = hello["converter"].rpartition(":")
        self._converter = getattr(importlib.import_module(module_name), class_name)()
        # Threat: other function processes of the same user reading this one's secrets.
        forbid_inspection()
        root = logging.getLogger()
        root.handlers = [ForwardingLogHandler(self._channel)]
        root.setLevel(hello["log_level"])
        self._limit_threads()

    def _limit_threads(self) -> None:
        """Refuse a thread beyond the call's limit where Python starts one.

        The worker also counts the process's threads (/proc), which covers threads
        started from native code; this check gives Python code a clean error instead.
        """
        start = _thread.start_new_thread

        def start_new_thread(
            function: Callable[..., object], args: tuple[Any, ...], kwargs: Any = None
        ) -> int:
            limit = self._thread_limit
            # _count() leaves the main thread out; the channel reader is one of ours.
            if limit is not None and _thread._count() - (_OWN_THREADS - 1) >= limit:
                raise ThreadLimitError(f"this function may start at most {limit} threads")
            return start(function, args, kwargs or {})

        _thread.start_new_thread = start_new_thread
        threading._start_new_thread = start_new_thread  # type: ignore[attr-defined]

    async def _call(self, call: Mapping[str, Any]) -> tuple[tuple[Any, ...], bool]:
        """Run one call: ((``done``, payload) or (``failed``, failure), recycle)."""
        fn = registry.get(call["function"])
        self._thread_limit = call["threads"]
        task = asyncio.create_task(self._run(fn, call))
        try:
            outcome: tuple[str, Any] = ("done", await task)
            failed: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 - whatever a function raises, SystemExit too
            failed = exc
            outcome = ("failed", self._failure(fn, exc))
        finally:
            self._thread_limit = None
        return outcome, self._must_end(failed)

    async def _run(self, fn: Any, call: Mapping[str, Any]) -> bytes:
        assert self._converter is not None  # noqa: S101 - set by the hello
        caller: Caller = call["caller"]
        acts_as: ActsAs = call["acts_as"]
        channel = self._channel
        runtime = FunctionRuntime(
            store_for=lambda _caller, _acts_as: RemoteObject(channel, "store"),
            secrets=self._secrets,
            mail=RemoteMail(channel) if call["has_mail"] else None,
            **self._options,
        )
        ctx = Context(
            function=fn.name,
            call_id=call["call_id"],
            caller=caller,
            acts_as=acts_as,
            idempotency_key=call["idempotency_key"],
            attempt=call["attempt"],
            runtime=runtime,
            logger=bound_logger(fn.name, call["call_id"]),
            _heartbeat=channel.heartbeat,
        )
        try:
            inp = self._converter.from_payload(Payload.FromString(call["payload"]), fn.input_type)
        except Exception as exc:
            raise InvalidInputError(
                f"the input of function {fn.name!r} is not a valid {fn.input_type.__name__}"
            ) from exc
        output = await fn.run(ctx, inp)
        if not isinstance(output, fn.output_type):
            raise InvalidOutputError(
                f"function {fn.name!r} returned {type(output).__name__}, "
                f"not its declared {fn.output_type.__name__}"
            )
        return bytes(self._converter.to_payload(output).SerializeToString())

    def _failure(self, fn: Any, exc: BaseException) -> dict[str, Any]:
        """What the worker needs to report ``exc``: a code, a message, whether to retry."""
        if _caused_by(exc, MemoryError):
            error: BaseException = MemoryLimitError(
                f"function {fn.name!r} ran out of its memory limit ({self._memory_mb} MiB)"
            )
        else:
            error = exc
        if isinstance(error, FunctionError):
            code, message, retryable = error.code, error.message, error.retryable
        else:
            code, message = type(error).__name__, str(error)
            retryable = not isinstance(error, fn.policy.non_retryable)
        return {
            "code": code,
            "message": message,
            "retryable": retryable,
            "traceback": "".join(traceback.format_exception(exc)),
        }

    def _must_end(self, failed: BaseException | None) -> bool:
        """Whether this process could carry something from this call into the next."""
        if failed is not None and _caused_by(failed, MemoryError):
            return True  # the heap may be left in any state
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:
            task.cancel()
        if pending:
            return True
        if threading.active_count() > _OWN_THREADS:
            # Idle executor threads (asyncio's getaddrinfo, to_thread) end when asked;
            # a thread of the function's own may still run into the next call.
            self._replace_executor()
            deadline = time.monotonic() + _LEFTOVER_JOIN_SECONDS
            for thread in threading.enumerate():
                if thread is not threading.main_thread() and thread.name != Channel.READER:
                    thread.join(max(0.0, deadline - time.monotonic()))
            return threading.active_count() > _OWN_THREADS
        return False

    def _replace_executor(self) -> None:
        """A fresh default executor; the used one's idle threads are told to end."""
        used, self._executor = self._executor, ThreadPoolExecutor()
        asyncio.get_running_loop().set_default_executor(self._executor)
        used.shutdown(wait=False, cancel_futures=True)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is ``exc`` or in its chain of causes and contexts."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False
