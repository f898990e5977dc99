"""Workflows that push Temporal's limits: fan-out, long loops, buggy code, deploys that change calls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from functions import ActsAs, Caller, Context, function
    from tests.integration.workflows.sample_functions import Step, StepDone, record_step
    from workflows import call, continue_as_new_if_needed, parallel, wait_for_signal


@dataclass(frozen=True)
class Tick:
    n: int


@dataclass(frozen=True)
class Tock:
    n: int
    caller: str | None


class InFlight:
    """How many ``tick`` calls run at once, and the most seen.

    Counted in the test's process (the worker's): each call runs in a process of the
    worker's pool and reaches this through ``ctx.store`` (see :func:`in_flight`).
    """

    now = 0
    most = 0

    def enter(self) -> None:
        InFlight.now += 1
        InFlight.most = max(InFlight.most, InFlight.now)

    def leave(self) -> None:
        InFlight.now -= 1


def in_flight(caller: Caller, acts_as: ActsAs) -> InFlight:
    """The ``store_for`` of a runtime whose ``tick`` calls are counted."""
    return InFlight()


@function(timeout=10, retries=2, backoff=0.05)
async def tick(ctx: Context, inp: Tick) -> Tock:
    """Takes a moment, counting how many ticks run at the same time."""
    counter = ctx.store
    counter.enter()
    try:
        await asyncio.sleep(0.02)
    finally:
        counter.leave()
    return Tock(inp.n, ctx.caller.user_id)


@dataclass(frozen=True)
class FanOut:
    calls: int
    limit: int | None = None


@dataclass(frozen=True)
class FannedOut:
    numbers: list[int]


@workflow.defn(name="test.FanOut")
class FanOutWorkflow:
    """``calls`` ticks through ``parallel`` (with ``limit`` when given)."""

    @workflow.run
    async def run(self, inp: FanOut) -> FannedOut:
        calls = (call(tick, Tick(n)) for n in range(inp.calls))
        done = await (parallel(*calls) if inp.limit is None else parallel(*calls, limit=inp.limit))
        return FannedOut([d.n for d in done])


@workflow.defn(name="test.Gather")
class GatherWorkflow:
    """``calls`` ticks all at once, with a bare asyncio.gather (no cap of its own)."""

    @workflow.run
    async def run(self, inp: FanOut) -> FannedOut:
        done = await asyncio.gather(*(call(tick, Tick(n)) for n in range(inp.calls)))
        return FannedOut([d.n for d in done])


@dataclass(frozen=True)
class Loop:
    total: int
    batch: int
    max_events: int
    done: int = 0
    callers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Looped:
    done: int
    callers: list[str]


@workflow.defn(name="test.LongLoop")
class LongLoopWorkflow:
    """Ticks ``total`` numbers in batches, continuing as new when the history is long."""

    @workflow.run
    async def run(self, inp: Loop) -> Looped:
        callers = list(inp.callers)
        for start in range(inp.done, inp.total, inp.batch):
            batch = range(start, min(start + inp.batch, inp.total))
            done = await parallel(*(call(tick, Tick(n)) for n in batch))
            callers.extend({d.caller or "" for d in done} - set(callers))
            progress = replace(inp, done=start + len(batch), callers=callers)
            await continue_as_new_if_needed(progress, max_events=inp.max_events)
        return Looped(inp.total, callers)


@workflow.defn(name="test.Buggy")
class BuggyWorkflow:
    """A bug in workflow code, after one successful call."""

    @workflow.run
    async def run(self, inp: Tick) -> Tock:
        await call(tick, inp)
        return {}["missing"]  # type: ignore[no-any-return]


@workflow.defn(name="test.TwoSteps")
class TwoStepsWorkflow:
    """Records step a, then step b, then waits for a "go" signal."""

    @workflow.run
    async def run(self, inp: Step) -> StepDone:
        await call(record_step, Step("a"))
        await call(record_step, Step("b"))
        await wait_for_signal("go", str)
        return await call(record_step, Step("after-go"))


@workflow.defn(name="test.TwoSteps")
class TwoStepsSwappedWorkflow:
    """TwoSteps as a careless deploy leaves it: the same two calls, in the other order."""

    @workflow.run
    async def run(self, inp: Step) -> StepDone:
        await call(record_step, Step("b"))
        await call(record_step, Step("a"))
        await wait_for_signal("go", str)
        return await call(record_step, Step("after-go"))
