"""The pool of processes a worker runs its function calls in (what Lambda gives a call).

The Temporal activity stays in the worker: it takes the call, hands it to a process of
the pool and reports what comes back. Each process runs one call at a time and is
reused for the next (warm), so a call costs a round trip on a Unix socket, not a start.

* **Isolation.** A process is forked from the fork server (``functions/forkserver.py``),
  never from the worker: it holds the functions' code and the secrets its profile
  declares, nothing else. A function stuck in a CPU loop stalls only its own process;
  other calls run in others.
* **Limits** (``functions/limits.py``): the worker ends a process at its call's
  wall-clock limit, or when it passes its CPU-time or thread limit; memory is the
  process's address-space limit. Codes ``timeout``, ``cpu_limit``, ``thread_limit``,
  ``memory_limit``.
* **Replacement.** A process that ended — killed for a limit, crashed, killed from
  outside, or that may carry state into the next call — is dropped, and the pool starts
  another to keep ``warm_processes`` of each profile ready.
* **Capacity.** At most ``processes`` processes; a call that finds none free waits (an
  idle process of another profile is ended to make room). A function's ``concurrency``
  caps its calls running at once in this worker; the others wait their turn.
* **Cancellation.** Temporal's cancellation reaches the activity, which ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from google.protobuf.message import DecodeError
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from functions.context import idempotency_key_for
from functions.definition import Function
from functions.errors import FunctionCrashedError, FunctionDefinitionError
from functions.forkserver import ForkServer, shared_forkserver
from functions.function_process import forbid_inspection
from functions.identity import current_caller
from functions.limits import CallLimits, ProcessProfile, resolve_limits
from functions.payloads import check_payload_size
from functions.pool_process import CallServices, PoolProcess
from functions.services import FunctionRuntime

__all__ = ["FunctionPool", "code_to_load"]

_log = logging.getLogger("baas.functions.pool")
_READY_WITHIN_SECONDS = 30.0


def code_to_load(
    functions: Iterable[Function[Any, Any]], converter: type[PayloadConverter]
) -> dict[str, Any]:
    """What the fork server imports so its processes find ``functions`` by name."""
    modules = {converter.__module__, "functions.function_process"}
    main: str | None = None
    for fn in functions:
        if "<locals>" in fn.__qualname__:
            raise FunctionDefinitionError(
                f"function {fn.name!r} is declared inside another function; a worker's "
                "processes load functions by importing their module: declare it at the "
                "top level of a module"
            )
        if fn.__module__ == "__main__":
            main = getattr(sys.modules["__main__"], "__file__", None)
            if main is None:
                raise FunctionDefinitionError(
                    f"function {fn.name!r} is declared in an interactive session; "
                    "declare it in a module"
                )
        else:
            modules.add(fn.__module__)
    return {"path": list(sys.path), "modules": sorted(modules), "main": main}


class FunctionPool:
    """The processes running ``functions``' calls for one worker."""

    def __init__(
        self,
        functions: Iterable[Function[Any, Any]],
        runtime: FunctionRuntime,
        *,
        converter: type[PayloadConverter],
        forkserver: ForkServer | None = None,
    ) -> None:
        functions = list(functions)
        self._runtime = runtime
        self._settings = runtime.pool
        self._limits: dict[str, CallLimits] = {
            fn.name: resolve_limits(
                fn.policy.limits, fn.policy.timeout.total_seconds(), self._settings
            )
            for fn in functions
        }
        self._slots = {
            name: asyncio.Semaphore(limits.concurrency)
            for name, limits in self._limits.items()
            if limits.concurrency is not None
        }
        self._code = code_to_load(functions, converter)
        self._converter = f"{converter.__module__}:{converter.__qualname__}"
        self._forkserver = forkserver or shared_forkserver()
        self._processes: set[PoolProcess] = set()
        self._idle: defaultdict[ProcessProfile, list[PoolProcess]] = defaultdict(list)
        self._starting: Counter[ProcessProfile] = Counter()
        self._waiters: list[asyncio.Future[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._stopped = False

    @property
    def processes(self) -> int:
        """How many processes the pool has (starting, idle or busy)."""
        return len(self._processes)

    def limits(self, name: str) -> CallLimits:
        """The limits the pool enforces on the function called ``name``."""
        return self._limits[name]

    async def start(self) -> None:
        """Load the functions' code in the fork server, then warm processes up (not awaited)."""
        # Threat: a function process (same user) reading the worker's environment or
        # memory, which hold every secret, through /proc or ptrace.
        forbid_inspection()
        await asyncio.to_thread(self._forkserver.load, self._code)
        for profile in {limits.profile for limits in self._limits.values()}:
            self._top_up(profile)

    async def stop(self) -> None:
        """End every process (a call still running fails)."""
        self._stopped = True
        for task in list(self._background):
            task.cancel()
        processes = list(self._processes)
        for process in processes:
            process.end(None)
        for process in processes:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await process.ended.wait()
        self._wake()

    async def call(self, fn: Function[Any, Any], raw: RawValue) -> RawValue:
        """Run one call of ``fn`` (inside its Temporal activity) in a pool process."""
        limits = self._limits[fn.name]
        info = activity.info()
        caller = current_caller()
        call = {
            "function": fn.name,
            "payload": raw.payload.SerializeToString(),
            "call_id": info.workflow_id or info.activity_id,
            "caller": caller,
            "acts_as": fn.acts_as,
            "idempotency_key": idempotency_key_for(info.workflow_id or "", info.activity_id),
            "attempt": info.attempt,
            "threads": limits.profile.threads,
            "has_mail": self._runtime.mail is not None,
        }
        services = CallServices(self._runtime, caller, fn.acts_as)
        slot = self._slots.get(fn.name)
        async with slot if slot is not None else contextlib.nullcontext():
            process = await self._checkout(limits.profile)
            try:
                data = await process.run(call, services, limits)
            finally:
                self._checkin(process)
        try:
            payload = Payload.FromString(data)
        except DecodeError:
            raise FunctionCrashedError("the function's process sent a malformed result") from None
        check_payload_size(payload, self._runtime.max_payload_bytes, f"the result of {fn.name!r}")
        return RawValue(payload)

    # --- processes --------------------------------------------------------------------

    async def _checkout(self, profile: ProcessProfile) -> PoolProcess:
        while True:
            if self._stopped:
                raise FunctionCrashedError("the worker is stopping")
            idle = self._idle[profile]
            while idle:
                process = idle.pop()
                if process.reusable:
                    self._top_up(profile)
                    return process
            if len(self._processes) < self._settings.processes:
                process = self._new_process(profile)
                self._top_up(profile)
                return await self._launch(process)
            other = next((p for ps in self._idle.values() for p in ps), None)
            if other is not None:  # full, but an idle process of another profile can go
                self._idle[other.profile].remove(other)
                other.end(None)
                self._processes.discard(other)
                continue
            await self._changed()

    def _checkin(self, process: PoolProcess) -> None:
        if process.reusable and not self._stopped:
            self._idle[process.profile].append(process)
            self._wake()
        else:
            process.end(None)

    def _new_process(self, profile: ProcessProfile) -> PoolProcess:
        """A process counted in the pool at once, so concurrent starts respect the bound."""
        process = PoolProcess(profile, on_end=self._ended)
        self._processes.add(process)
        return process

    async def _launch(self, process: PoolProcess) -> PoolProcess:
        """Fork ``process`` from the fork server and wait until it is ready."""
        profile = process.profile
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                pid = await asyncio.to_thread(
                    self._forkserver.fork,
                    self._code,
                    theirs,
                    memory_mb=profile.memory_mb,
                    threads=profile.threads,
                )
            finally:
                theirs.close()
            loop = asyncio.get_running_loop()
            await loop.create_unix_connection(lambda: process, sock=ours)
            await process.start(pid, self._hello(profile), within=_READY_WITHIN_SECONDS)
        except BaseException:
            ours.close()
            process.end(None)
            self._processes.discard(process)
            self._wake()
            raise
        return process

    def _hello(self, profile: ProcessProfile) -> dict[str, Any]:
        secrets = {
            name: self._runtime.secrets[name]
            for name in profile.secrets
            if name in self._runtime.secrets
        }
        return {
            "secrets": secrets,
            "environment": {
                f"BAAS_SECRET_{name.upper()}": value for name, value in secrets.items()
            },
            "allow_private_network": self._runtime.allow_private_network,
            "max_payload_bytes": self._runtime.max_payload_bytes,
            "converter": self._converter,
            "log_level": logging.getLogger().getEffectiveLevel(),
        }

    def _ended(self, process: PoolProcess) -> None:
        self._processes.discard(process)
        with contextlib.suppress(ValueError):
            self._idle[process.profile].remove(process)
        self._wake()
        if not self._stopped:
            self._top_up(process.profile)

    def _top_up(self, profile: ProcessProfile) -> None:
        """Start processes in the background until ``warm_processes`` are idle or starting."""
        wanted = self._settings.warm_processes - len(self._idle[profile]) - self._starting[profile]
        room = self._settings.processes - len(self._processes)
        for _ in range(min(wanted, room)):
            self._starting[profile] += 1
            process = self._new_process(profile)
            task = asyncio.get_running_loop().create_task(self._warm(process))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _warm(self, process: PoolProcess) -> None:
        profile = process.profile
        try:
            await self._launch(process)
        except Exception:  # noqa: BLE001 - logged; the next call starts one itself
            _log.warning("could not start a function process", exc_info=True)
            return
        finally:
            self._starting[profile] -= 1
        if self._stopped:
            process.end(None)
        else:
            self._idle[profile].append(process)
            self._wake()

    async def _changed(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
