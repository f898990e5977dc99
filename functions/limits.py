"""What one call of a function may use: time, CPU, memory, threads, concurrency, secrets.

A function declares its own limits on ``@function(...)``; what it leaves out comes from
the worker's :class:`PoolSettings` (``BAAS_FUNCTIONS_*`` settings in ``baas/config.py``).
:func:`resolve_limits` merges the two into the :class:`CallLimits` the pool enforces:

* ``timeout`` (wall clock) and ``cpu_seconds`` are watched by the worker, which ends the
  process when one is passed (codes ``timeout``, ``cpu_limit``);
* ``memory_mb`` becomes the process's address-space limit (RLIMIT_AS), on top of what the
  runtime itself occupies (code ``memory_limit``);
* ``threads`` is checked when a thread starts and watched by the worker (``thread_limit``);
* ``concurrency`` caps the calls of one function running at once in one worker;
* ``secrets`` names the ``BAAS_SECRET_<NAME>`` values the function sees: nothing else.

Calls whose processes must be alike — same secrets, same memory and thread limits — share
a :class:`ProcessProfile`, and only processes of that profile run them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from functions.errors import FunctionDefinitionError

__all__ = [
    "CallLimits",
    "FunctionLimits",
    "PoolSettings",
    "ProcessProfile",
    "declare_limits",
    "resolve_limits",
]

_SECRET_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class FunctionLimits:
    """What a function declared; None takes the worker's default."""

    memory_mb: int | None = None
    cpu_seconds: float | None = None
    threads: int | None = None
    concurrency: int | None = None
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolSettings:
    """How a worker runs function calls, and the default limits of each call.

    ``isolated`` False runs calls in the worker's own process, without any limit (as
    before the pool existed): for benchmarks' baselines, never for serving.
    ``processes`` bounds the pool (calls beyond it wait for a free process);
    ``warm_processes`` of each profile are kept started ahead of demand.
    ``cpu_seconds`` None means "the function's timeout"; ``concurrency`` None means
    "as many as the pool has processes".
    """

    isolated: bool = True
    processes: int = 8
    warm_processes: int = 2
    memory_mb: int = 512
    cpu_seconds: float | None = None
    threads: int = 32
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.processes < 1 or self.warm_processes < 0:
            raise ValueError("a pool needs processes >= 1 and warm_processes >= 0")
        if self.memory_mb < 1 or self.threads < 0:
            raise ValueError("memory_mb must be >= 1 and threads >= 0")


@dataclass(frozen=True)
class ProcessProfile:
    """What a pool process is set up with, once, when it starts."""

    secrets: tuple[str, ...]
    memory_mb: int
    threads: int


@dataclass(frozen=True)
class CallLimits:
    """The limits of one function's calls, defaults filled in."""

    timeout: float
    cpu_seconds: float
    concurrency: int | None
    profile: ProcessProfile


def resolve_limits(declared: FunctionLimits, timeout: float, settings: PoolSettings) -> CallLimits:
    """``declared`` over ``settings``: what the pool enforces for this function."""
    cpu = declared.cpu_seconds or settings.cpu_seconds or timeout
    return CallLimits(
        timeout=timeout,
        cpu_seconds=cpu,
        concurrency=declared.concurrency or settings.concurrency,
        profile=ProcessProfile(
            secrets=tuple(sorted(set(declared.secrets))),
            memory_mb=declared.memory_mb or settings.memory_mb,
            threads=settings.threads if declared.threads is None else declared.threads,
        ),
    )


def declare_limits(
    name: str,
    *,
    memory_mb: int | None,
    cpu_seconds: float | None,
    threads: int | None,
    concurrency: int | None,
    secrets: Sequence[str],
) -> FunctionLimits:
    """The limits ``@function`` was given, checked (errors name the function)."""
    where = f"function {name!r}"
    for what, value, least in (("memory_mb", memory_mb, 1), ("concurrency", concurrency, 1)):
        if value is not None and (not _is_int(value) or value < least):
            raise FunctionDefinitionError(f"{where}: {what} must be an int >= {least}")
    if threads is not None and (not _is_int(threads) or threads < 0):
        raise FunctionDefinitionError(f"{where}: threads must be an int >= 0")
    if cpu_seconds is not None and (
        isinstance(cpu_seconds, bool)
        or not isinstance(cpu_seconds, int | float)
        or cpu_seconds <= 0
    ):
        raise FunctionDefinitionError(f"{where}: cpu_seconds must be a positive number")
    if isinstance(secrets, str):
        raise FunctionDefinitionError(f"{where}: secrets must be a list of names, not a string")
    for secret in secrets:
        if not isinstance(secret, str) or not _SECRET_NAME.match(secret):
            raise FunctionDefinitionError(
                f"{where}: secret names are lower-case letters, digits and '_' "
                f"(BAAS_SECRET_PAYMENT_KEY is 'payment_key'), got {secret!r}"
            )
    return FunctionLimits(memory_mb, cpu_seconds, threads, concurrency, tuple(secrets))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
