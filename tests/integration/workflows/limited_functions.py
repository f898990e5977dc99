"""Functions that misbehave on purpose, each under small limits, for the pool's tests.

They report to the test through the Journal's store (``ctx.store.record``, a call that
the function's process makes to the worker), so a test can wait for "it is running now".
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from functions import Context, function


@dataclass(frozen=True)
class Marker:
    """A file whose appearance ends a wait; empty: never ends."""

    path: str = ""
    label: str = ""


@dataclass(frozen=True)
class Seen:
    pid: int
    attempt: int = 1
    environment: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    note: str = ""


def _spin_until(marker: Marker) -> None:
    """A CPU loop that never gives the event loop a turn (as the reported 20 s loop)."""
    while not (marker.path and Path(marker.path).exists()):
        pass


@function(timeout=60, retries=0, cpu_seconds=60)
async def spin(ctx: Context, inp: Marker) -> Seen:
    ctx.store.record(f"spinning:{os.getpid()}")
    _spin_until(inp)
    return Seen(os.getpid())


@function(timeout=60, retries=0, cpu_seconds=0.5)
async def spin_past_cpu(ctx: Context, inp: Marker) -> Seen:
    _spin_until(inp)
    return Seen(os.getpid())


@function(timeout=1, retries=0, cpu_seconds=60)
async def spin_past_timeout(ctx: Context, inp: Marker) -> Seen:
    _spin_until(inp)
    return Seen(os.getpid())


@function(timeout=10, retries=0, memory_mb=64)
async def allocate_a_gigabyte(ctx: Context, inp: Marker) -> Seen:
    block = bytearray(1024**3)
    return Seen(os.getpid(), note=str(len(block)))


@function(timeout=10, retries=0, threads=8)
async def start_a_thousand_threads(ctx: Context, inp: Marker) -> Seen:
    release = threading.Event()
    started = []
    try:
        for _ in range(1000):
            thread = threading.Thread(target=release.wait)
            thread.start()
            started.append(thread)
    finally:
        release.set()
    return Seen(os.getpid(), note=str(len(started)))


@function(timeout=10, retries=0, secrets=["alpha"])
async def show_alpha(ctx: Context, inp: Marker) -> Seen:
    return _environment_seen(ctx)


@function(timeout=10, retries=0)
async def show_no_secret(ctx: Context, inp: Marker) -> Seen:
    return _environment_seen(ctx)


def _environment_seen(ctx: Context) -> Seen:
    names = sorted(name for name in os.environ if name.startswith("BAAS_"))
    return Seen(os.getpid(), environment=names, secrets=sorted(ctx.secrets))


@function(timeout=30, retries=0, concurrency=2)
async def one_of_two(ctx: Context, inp: Marker) -> Seen:
    ctx.store.record(f"in:{inp.label}")
    await asyncio.sleep(0.3)
    ctx.store.record(f"out:{inp.label}")
    return Seen(os.getpid())


@function(timeout=30, retries=1, backoff=0.05)
async def pid_then_wait(ctx: Context, inp: Marker) -> Seen:
    """Reports its process; on its first attempt, waits until it is ended."""
    ctx.store.record(f"pid:{os.getpid()}:attempt{ctx.attempt}")
    while ctx.attempt == 1:
        ctx.heartbeat()
        await asyncio.sleep(0.05)
    return Seen(os.getpid(), attempt=ctx.attempt)


@function(timeout=10, retries=0)
async def reach_past_the_rules(ctx: Context, inp: Marker) -> Seen:
    """Tries the raw store behind the caller's view (ActingStore.store)."""
    try:
        raw = ctx.store.store
    except AttributeError:
        return Seen(os.getpid(), note="refused")
    return Seen(os.getpid(), note=f"reached {type(raw).__name__}")


@function(timeout=10, retries=0)
async def log_lines(ctx: Context, inp: Marker) -> Seen:
    ctx.logger.warning("from the function %s", inp.label)
    logging.getLogger("some.library").warning("from a library")
    return Seen(os.getpid())


@function(timeout=10, retries=0)
async def linger(ctx: Context, inp: Marker) -> Seen:
    """Leaves a thread running behind it: its process must not serve another call."""
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    return Seen(os.getpid())
