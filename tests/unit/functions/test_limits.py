"""Limits declared on @function, and the worker's defaults filling in the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from functions import Context, FunctionDefinitionError, PoolSettings, function
from functions.limits import resolve_limits


@dataclass
class In:
    x: int


@dataclass
class Out:
    y: int


def test_declared_limits_win_over_the_defaults() -> None:
    @function(
        timeout=10,
        memory_mb=64,
        cpu_seconds=2.5,
        threads=0,
        concurrency=3,
        secrets=["payment_key", "payment_key"],
        name="t_limited",
    )
    async def limited(ctx: Context, inp: In) -> Out:
        return Out(inp.x)

    limits = resolve_limits(limited.policy.limits, 10.0, PoolSettings(memory_mb=512, threads=32))
    assert (limits.timeout, limits.cpu_seconds, limits.concurrency) == (10.0, 2.5, 3)
    profile = limits.profile
    assert (profile.memory_mb, profile.threads, profile.secrets) == (64, 0, ("payment_key",))


def test_undeclared_limits_take_the_defaults_and_cpu_time_defaults_to_the_timeout() -> None:
    @function(timeout=7, name="t_defaults")
    async def plain(ctx: Context, inp: In) -> Out:
        return Out(inp.x)

    limits = resolve_limits(plain.policy.limits, 7.0, PoolSettings(memory_mb=300, concurrency=4))
    assert (limits.cpu_seconds, limits.concurrency) == (7.0, 4)
    assert (limits.profile.memory_mb, limits.profile.secrets) == (300, ())
    with_cpu = resolve_limits(plain.policy.limits, 7.0, PoolSettings(cpu_seconds=1.0))
    assert with_cpu.cpu_seconds == 1.0


def test_temporal_waits_longer_than_the_pool_so_the_pools_code_is_reported() -> None:
    @function(timeout=5, name="t_grace")
    async def graced(ctx: Context, inp: In) -> Out:
        return Out(inp.x)

    assert graced.policy.activity_timeout > graced.policy.timeout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory_mb": 0}, "memory_mb must be an int >= 1"),
        ({"memory_mb": 1.5}, "memory_mb must be an int >= 1"),
        ({"concurrency": 0}, "concurrency must be an int >= 1"),
        ({"threads": -1}, "threads must be an int >= 0"),
        ({"cpu_seconds": 0}, "cpu_seconds must be a positive number"),
        ({"cpu_seconds": True}, "cpu_seconds must be a positive number"),
        ({"secrets": "payment_key"}, "secrets must be a list of names"),
        ({"secrets": ["PAYMENT_KEY"]}, "secret names are lower-case"),
    ],
)
def test_a_bad_limit_is_refused_naming_the_function(options: dict[str, Any], message: str) -> None:
    with pytest.raises(FunctionDefinitionError, match=message) as raised:

        @function(name="t_bad_limit", **options)
        async def bad(ctx: Context, inp: In) -> Out:
            return Out(inp.x)

    assert "'t_bad_limit'" in str(raised.value)
