"""Functions composed by workflows, against a real Temporal dev server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from functions import Caller, PayloadTooLargeError
from tests.integration.workflows import sample_functions as f
from tests.integration.workflows import sample_workflows as w
from tests.integration.workflows.memory import Journal
from workflows import (
    CallCancelledError,
    CallFailedError,
    CallStatus,
    IdempotencyConflictError,
    cancel,
    result,
    signal,
    start_call,
    status,
)

ALICE = Caller.user("alice", ["editors"])


async def test_a_sequence_runs_its_functions_in_order(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, w.SequenceWorkflow, w.Steps(["a", "b", "c"]), ALICE, task_queue=task_queue
    )
    out = await result(temporal_client, call_id, w.StepsDone)
    assert out == w.StepsDone(["a", "b", "c"])
    assert journal.events == ["a:attempt1", "b:attempt1", "c:attempt1"]


async def test_a_parallel_step_returns_every_result_in_argument_order(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client,
        w.ParallelWorkflow,
        w.Steps(["a", "b", "c", "d"]),
        ALICE,
        task_queue=task_queue,
    )
    out = await result(temporal_client, call_id, w.StepsDone)
    assert out.names == ["a", "user", "b", "c", "d"]
    assert sorted(journal.events) == [
        "a:attempt1",
        "b:attempt1",
        "c:attempt1",
        "d:attempt1",
        "whoami",
    ]


async def test_a_failed_saga_compensates_in_reverse_order_then_fails(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client,
        w.SagaWorkflow,
        w.Steps(["a", "b", "c", "d"], fail_at="c"),
        ALICE,
        task_queue=task_queue,
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "step_refused"
    assert journal.events == ["a:attempt1", "b:attempt1", "c:attempt1", "undo:b", "undo:a"]
    assert await status(temporal_client, call_id) == CallStatus.FAILED


async def test_a_single_function_runs_alone_and_returns_its_typed_output(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.record_step, f.Step("solo"), ALICE, task_queue=task_queue
    )
    assert await result(temporal_client, call_id, f.record_step) == f.StepDone("solo", 1)


async def test_a_transient_failure_is_retried_until_it_succeeds(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.flaky_step, f.Flaky(failures=2), ALICE, task_queue=task_queue
    )
    assert await result(temporal_client, call_id, f.flaky_step) == f.StepDone("flaky", 3)
    assert journal.events == ["flaky:attempt1", "flaky:attempt2", "flaky:attempt3"]


async def test_retries_stop_at_the_declared_count_and_hide_the_detail(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.flaky_step, f.Flaky(failures=99), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "internal"
    assert "transient trouble" not in failure.value.message
    assert len(journal.events) == 5  # retries=4: five attempts


@pytest.mark.parametrize(
    ("target", "inp", "code", "event"),
    [
        (f.record_step, f.Step("x", fail=True), "step_refused", "x:attempt1"),
        (f.declared_final, f.Step("x"), "NotFoundHereError", "final:attempt1"),
    ],
)
async def test_a_deliberate_failure_is_not_retried(
    temporal_client: Client,
    task_queue: str,
    worker: Worker,
    journal: Journal,
    target: object,
    inp: object,
    code: str,
    event: str,
) -> None:
    call_id = await start_call(temporal_client, target, inp, ALICE, task_queue=task_queue)  # type: ignore[arg-type]
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == code
    assert journal.events == [event]


async def test_an_attempt_past_its_timeout_fails_the_call_with_timeout(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.slow_step, f.Slow(seconds=30), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "timeout"
    assert journal.events == ["slow:attempt1", "slow:attempt2"]  # retries=1


async def test_a_cancelled_call_reports_cancelled(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.wait_long, f.Slow(seconds=30), ALICE, task_queue=task_queue
    )
    await cancel(temporal_client, call_id)
    with pytest.raises(CallCancelledError):
        await result(temporal_client, call_id)
    assert await status(temporal_client, call_id) == CallStatus.CANCELLED


async def test_an_idempotency_key_makes_a_repeated_start_return_the_same_call(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    starts = [
        start_call(
            temporal_client,
            f.record_step,
            f.Step("once"),
            ALICE,
            task_queue=task_queue,
            idempotency_key="k1",
        )
        for _ in range(3)
    ]
    ids = set(await asyncio.gather(*starts))
    [call_id] = ids
    await result(temporal_client, call_id, f.record_step)
    again = await start_call(
        temporal_client,
        f.record_step,
        f.Step("once"),
        ALICE,
        task_queue=task_queue,
        idempotency_key="k1",
    )
    other_user = await start_call(
        temporal_client,
        f.record_step,
        f.Step("once"),
        Caller.user("bob"),
        task_queue=task_queue,
        idempotency_key="k1",
    )
    await result(temporal_client, other_user)
    assert again == call_id
    assert other_user != call_id
    assert journal.events == ["once:attempt1", "once:attempt1"]  # alice's once, bob's once


async def test_an_idempotency_key_with_another_input_is_a_conflict_not_the_first_call(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    def start(step: str) -> Any:
        return start_call(
            temporal_client,
            f.record_step,
            f.Step(step),
            ALICE,
            task_queue=task_queue,
            idempotency_key="k-conflict",
        )

    # A burst: three starts with one input, three with another, under one key.
    outcomes = await asyncio.gather(
        *(start(step) for step in ["a", "b", "a", "b", "a", "b"]), return_exceptions=True
    )
    won = {outcome for outcome in outcomes if isinstance(outcome, str)}
    conflicts = [o for o in outcomes if isinstance(o, IdempotencyConflictError)]
    assert len(won) == 1
    assert len(conflicts) == 3, outcomes
    [call_id] = won
    await result(temporal_client, call_id, f.record_step)
    winner = journal.events[0].split(":")[0]
    loser = "b" if winner == "a" else "a"
    # Once the call has finished too: the same input finds it, another is refused.
    assert await start(winner) == call_id
    with pytest.raises(IdempotencyConflictError):
        await start(loser)
    assert journal.events == [f"{winner}:attempt1"]


async def test_the_caller_reaches_the_workflow_and_every_function(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, w.WhoAmIWorkflow, f.Empty(), ALICE, task_queue=task_queue
    )
    out = await result(temporal_client, call_id, w.Identities)
    alice = f.Identity("user", "alice", ["editors"])
    assert out.in_workflow == alice
    assert (out.in_function.kind, out.in_function.user_id, out.in_function.groups) == (
        "user",
        "alice",
        ["editors"],
    )
    assert out.as_system == f.Identity("user", "alice", ["editors"], acts_as="system")
    assert journal.store_requests == [(ALICE, "caller"), (ALICE, "system")]
    assert len(out.in_function.idempotency_key) == 40


async def test_an_unset_caller_is_anonymous_never_system(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await temporal_client.start_workflow(
        w.WhoAmIWorkflow.run, f.Empty(), id=f"raw-{task_queue}", task_queue=task_queue
    )
    out = await handle.result()
    assert out.in_function.kind == "anonymous"


async def test_a_signal_reaches_the_waiting_workflow_with_its_sender(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, w.WaitForNoteWorkflow, w.WaitInput(60), ALICE, task_queue=task_queue
    )
    await signal(temporal_client, call_id, "note", w.Note("hello"), Caller.user("bob"))
    assert await result(temporal_client, call_id, w.WaitOutput) == w.WaitOutput("hello", "bob")


async def test_waiting_for_a_signal_times_out(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, w.WaitForNoteWorkflow, w.WaitInput(0.2), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "signal_timeout"


async def test_an_input_above_the_limit_is_refused_before_temporal(
    temporal_client: Client, task_queue: str
) -> None:
    with pytest.raises(PayloadTooLargeError, match="above the limit"):
        await start_call(
            temporal_client, f.echo_blob, f.Blob("x" * 1_100_000), ALICE, task_queue=task_queue
        )


async def test_a_result_above_the_limit_fails_the_call(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, f.echo_blob, f.Blob("x" * 600_000), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "payload_too_large"


async def test_a_workflow_result_above_the_limit_fails_the_call(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    small = await start_call(
        temporal_client, w.MakeBlobWorkflow, w.BlobSize(1_000), ALICE, task_queue=task_queue
    )
    assert await result(temporal_client, small) == {"data": "x" * 1_000}  # untyped read
    large = await start_call(
        temporal_client, w.MakeBlobWorkflow, w.BlobSize(1_100_000), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, large)
    assert failure.value.code == "payload_too_large"
    assert "test.MakeBlob" in failure.value.message


async def test_a_function_invoking_another_fails_at_once(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, f.calls_another, f.Step("x"), ALICE, task_queue=task_queue
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "function_isolation"
    assert "'calls_another' invoked function 'record_step'" in failure.value.message
    assert journal.events == []


async def test_pydantic_models_work_as_input_and_output(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, f.greet, f.Greeting(name="ada"), ALICE, task_queue=task_queue
    )
    assert await result(temporal_client, call_id, f.greet) == f.Greeting(name="hello ada", times=2)
