"""Workflows the tests run: each exercises one shape (sequence, parallel, saga …)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from functions import current_caller
    from tests.integration.workflows.sample_functions import (
        Empty,
        Identity,
        Step,
        StepDone,
        record_step,
        undo_step,
        whoami,
        whoami_as_system,
    )
    from workflows import Received, Saga, call, parallel, sleep, wait_for_signal


@dataclass(frozen=True)
class Steps:
    names: list[str]
    fail_at: str | None = None


@dataclass(frozen=True)
class StepsDone:
    names: list[str]


@workflow.defn(name="test.Sequence")
class SequenceWorkflow:
    @workflow.run
    async def run(self, inp: Steps) -> StepsDone:
        done = [await call(record_step, Step(name)) for name in inp.names]
        return StepsDone([d.name for d in done])


@workflow.defn(name="test.Parallel")
class ParallelWorkflow:
    @workflow.run
    async def run(self, inp: Steps) -> StepsDone:
        first, second = await parallel(call(record_step, Step(inp.names[0])), call(whoami, Empty()))
        rest = await parallel(*(call(record_step, Step(n)) for n in inp.names[1:]))
        return StepsDone([first.name, second.kind, *(r.name for r in rest)])


@workflow.defn(name="test.Saga")
class SagaWorkflow:
    @workflow.run
    async def run(self, inp: Steps) -> StepsDone:
        done: list[str] = []
        async with Saga() as saga:
            for name in inp.names:
                await call(record_step, Step(name, fail=name == inp.fail_at))
                saga.compensate(undo_step, Step(name))
                done.append(name)
        return StepsDone(done)


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class WaitInput:
    timeout_seconds: float


@dataclass(frozen=True)
class WaitOutput:
    text: str
    sender: str | None


@workflow.defn(name="test.WaitForNote")
class WaitForNoteWorkflow:
    @workflow.run
    async def run(self, inp: WaitInput) -> WaitOutput:
        await sleep(0.01)  # a durable timer before waiting, to cover sleep too
        got: Received[Note] = await wait_for_signal("note", Note, timeout=inp.timeout_seconds)
        return WaitOutput(got.value.text, got.sender.user_id)


@dataclass(frozen=True)
class Identities:
    in_workflow: Identity
    in_function: Identity
    as_system: Identity


@workflow.defn(name="test.WhoAmI")
class WhoAmIWorkflow:
    @workflow.run
    async def run(self, inp: Empty) -> Identities:
        caller = current_caller()
        here = Identity(str(caller.kind), caller.user_id, sorted(caller.groups))
        return Identities(here, await call(whoami, Empty()), await call(whoami_as_system, Empty()))


@workflow.defn(name="test.ChildWhoAmI")
class ChildWhoAmIWorkflow:
    """Runs WhoAmI as a child workflow: the caller travels on to the child."""

    @workflow.run
    async def run(self, inp: Empty) -> Identities:
        child: Identities = await workflow.execute_child_workflow(
            WhoAmIWorkflow.run, inp, id=f"{workflow.info().workflow_id}.child"
        )
        return child


@workflow.defn(name="test.Nap")
class NapWorkflow:
    """Sleeps durably; used by the schedule test as a harmless target."""

    @workflow.run
    async def run(self, inp: Empty) -> StepDone:
        await sleep(timedelta(milliseconds=10))
        return StepDone("nap", 1)


@dataclass
class BlobSize:
    characters: int


@dataclass
class BlobResult:
    data: str


@workflow.defn(name="test.MakeBlob")
class MakeBlobWorkflow:
    """Returns a result of the asked size: the worker's result limit applies to it."""

    @workflow.run
    async def run(self, inp: BlobSize) -> BlobResult:
        return BlobResult("x" * inp.characters)
