"""Functions the workflow tests compose. Each records what it did in the test's Journal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pydantic import BaseModel

from functions import Context, FunctionError, function


class StepRefusedError(FunctionError):
    code = "step_refused"


class NotFoundHereError(Exception):
    """Declared non-retryable on one function, though not a FunctionError."""


@dataclass(frozen=True)
class Step:
    name: str
    fail: bool = False


@dataclass(frozen=True)
class StepDone:
    name: str
    attempt: int


@dataclass(frozen=True)
class Flaky:
    failures: int


@dataclass(frozen=True)
class Slow:
    seconds: float


@dataclass(frozen=True)
class Empty:
    pass


@dataclass(frozen=True)
class Identity:
    kind: str
    user_id: str | None
    groups: list[str] = field(default_factory=list)
    acts_as: str = "caller"
    idempotency_key: str = ""


@dataclass(frozen=True)
class Blob:
    data: str


@function(timeout=5, retries=2, backoff=0.05)
async def record_step(ctx: Context, inp: Step) -> StepDone:
    """Records ``inp.name``; with ``fail`` it refuses on purpose (never retried)."""
    ctx.store.record(f"{inp.name}:attempt{ctx.attempt}")
    if inp.fail:
        raise StepRefusedError(f"step {inp.name} refused")
    return StepDone(inp.name, ctx.attempt)


@function(timeout=5, retries=2, backoff=0.05)
async def undo_step(ctx: Context, inp: Step) -> StepDone:
    """A compensation: records ``undo:<name>``."""
    ctx.store.record(f"undo:{inp.name}")
    return StepDone(inp.name, ctx.attempt)


@function(timeout=5, retries=4, backoff=0.05)
async def flaky_step(ctx: Context, inp: Flaky) -> StepDone:
    """Fails with an unexpected error on its first ``failures`` attempts."""
    ctx.store.record(f"flaky:attempt{ctx.attempt}")
    if ctx.attempt <= inp.failures:
        raise RuntimeError("transient trouble")
    return StepDone("flaky", ctx.attempt)


@function(timeout=5, retries=4, backoff=0.05, non_retryable=(NotFoundHereError,))
async def declared_final(ctx: Context, inp: Step) -> StepDone:
    """Raises a declared non-retryable (plain) exception."""
    ctx.store.record(f"final:attempt{ctx.attempt}")
    raise NotFoundHereError(f"{inp.name} is not here")


@function(timeout=0.5, retries=1, backoff=0.05)
async def slow_step(ctx: Context, inp: Slow) -> StepDone:
    """Sleeps past its timeout when asked to."""
    ctx.store.record(f"slow:attempt{ctx.attempt}")
    await asyncio.sleep(inp.seconds)
    return StepDone("slow", ctx.attempt)


@function(timeout=60, retries=0)
async def wait_long(ctx: Context, inp: Slow) -> StepDone:
    """Heartbeats while waiting (so a cancellation reaches it)."""
    for _ in range(int(inp.seconds * 10)):
        ctx.heartbeat()
        await asyncio.sleep(0.1)
    return StepDone("long", ctx.attempt)


@function(timeout=5, retries=0)
async def whoami(ctx: Context, inp: Empty) -> Identity:
    """Reports the caller the runtime gave it."""
    ctx.store.record("whoami")
    return Identity(
        kind=str(ctx.caller.kind),
        user_id=ctx.caller.user_id,
        groups=sorted(ctx.caller.groups),
        acts_as=ctx.acts_as,
        idempotency_key=ctx.idempotency_key,
    )


@function(timeout=5, retries=0, acts_as="system")
async def whoami_as_system(ctx: Context, inp: Empty) -> Identity:
    """Like whoami, declared to act as system (the caller is still reported)."""
    ctx.store.record("whoami_as_system")
    return Identity(
        str(ctx.caller.kind), ctx.caller.user_id, sorted(ctx.caller.groups), ctx.acts_as
    )


@function(timeout=5, retries=0)
async def echo_blob(ctx: Context, inp: Blob) -> Blob:
    """Returns its input doubled (to exceed the result size limit on demand)."""
    return Blob(inp.data * 2)


@function(timeout=5, retries=2)
async def calls_another(ctx: Context, inp: Step) -> StepDone:
    """Breaks isolation on purpose: invokes record_step from inside a function."""
    return await record_step(ctx, inp)


class Greeting(BaseModel):
    """A pydantic model as input and output (dataclasses are not the only option)."""

    name: str
    times: int = 1


@function(timeout=5, retries=0)
async def greet(ctx: Context, inp: Greeting) -> Greeting:
    return Greeting(name=f"hello {inp.name}", times=inp.times + 1)
