"""Fan-out and long workflows stay inside Temporal's limits, and stuck ones fail their call.

These run against a Temporal dev server of their own whose per-workflow limit of
pending activities is lowered to 20 (Temporal's default is 2,000), so that "more calls
than Temporal allows" takes tens of calls instead of thousands.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.client import Client

from baas.temporal_dev import EmbeddedTemporal
from functions import Caller, FunctionRuntime, PoolSettings
from tests.integration.workflows.long_workflows import (
    BuggyWorkflow,
    FannedOut,
    FanOut,
    FanOutWorkflow,
    GatherWorkflow,
    InFlight,
    LongLoopWorkflow,
    Loop,
    Looped,
    Tick,
    Tock,
    in_flight,
    tick,
)
from tests.support import TEST_CALLER_SIGNER, free_port, port_accepts
from workflows import CallFailedError, configure_client, result, start_call
from workflows.worker import create_worker

TEMPORAL_PENDING_LIMIT = 20
OWNER = Caller.user("olga", ["members"])
# Generous: a stuck call never answers at all, a working one answers within seconds.
ANSWER_WITHIN = 60


@pytest.fixture(scope="module")
def limited_temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("limited-temporal")
    server = EmbeddedTemporal(
        host="127.0.0.1",
        port=free_port(),
        ui_port=None,
        db_path=data / "temporal.sqlite3",
        log_path=data / "temporal.log",
    )
    limit = f"limit.numPendingActivities.error={TEMPORAL_PENDING_LIMIT}"
    with server.log_path.open("ab") as log:
        process = subprocess.Popen(
            [*server.command(), "--dynamic-config-value", limit],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not port_accepts(server.port):
            assert process.poll() is None, f"Temporal exited; see {server.log_path}"
            assert time.monotonic() < deadline, "Temporal did not start"
            time.sleep(0.05)
        yield server.address
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
async def limited_temporal(limited_temporal_address: str) -> Client:
    for _ in range(100):
        try:
            return configure_client(
                await Client.connect(limited_temporal_address), TEST_CALLER_SIGNER
            )
        except RuntimeError:  # the port opens a moment before the frontend is healthy
            await asyncio.sleep(0.1)
    raise RuntimeError("Temporal never became healthy")


async def _run(
    client: Client, workflow: type, inp: Any, output: type, **worker_options: Any
) -> Any:
    task_queue = f"fan-out-{uuid.uuid4().hex}"
    InFlight.now = InFlight.most = 0
    worker = create_worker(
        client,
        task_queue=task_queue,
        workflows=[FanOutWorkflow, GatherWorkflow, LongLoopWorkflow, BuggyWorkflow],
        functions=[tick],
        # More processes than parallel()'s cap of 8, so that the cap is what is measured.
        runtime=FunctionRuntime(store_for=in_flight, pool=PoolSettings(processes=20)),
        max_concurrent_activities=200,
        **worker_options,
    )
    async with worker:
        call_id = await start_call(client, workflow, inp, OWNER, task_queue=task_queue)
        answer = await asyncio.wait_for(result(client, call_id, output), ANSWER_WITHIN)
        return answer, call_id


async def test_parallel_runs_more_calls_than_temporal_allows_in_waves(
    limited_temporal: Client,
) -> None:
    calls = 3 * TEMPORAL_PENDING_LIMIT
    done, _ = await _run(limited_temporal, FanOutWorkflow, FanOut(calls, limit=8), FannedOut)
    assert done.numbers == list(range(calls))  # every call, results in argument order
    assert 1 < InFlight.most <= 8


async def test_too_many_calls_in_flight_fail_the_call_instead_of_hanging(
    limited_temporal: Client,
) -> None:
    # A bare gather schedules every call at once: Temporal would refuse the workflow
    # task for ever (the call RUNNING, no answer). The worker's cap fails it instead.
    with pytest.raises(CallFailedError) as failed:
        await _run(
            limited_temporal,
            GatherWorkflow,
            FanOut(3 * TEMPORAL_PENDING_LIMIT),
            FannedOut,
            max_pending_calls=TEMPORAL_PENDING_LIMIT // 2,
        )
    assert failed.value.code == "too_many_pending_calls"
    assert "parallel(" in failed.value.message


async def test_a_long_loop_continues_as_new_with_its_progress(limited_temporal: Client) -> None:
    loop = Loop(total=30, batch=3, max_events=40)
    looped, call_id = await _run(limited_temporal, LongLoopWorkflow, loop, Looped)
    assert looped.done == 30
    assert looped.callers == ["olga"]  # the caller travelled on to every new run
    runs = [
        execution
        async for execution in limited_temporal.list_workflows(f"WorkflowId = '{call_id}'")
    ]
    assert len(runs) > 2  # it did continue as new, more than once


async def test_a_bug_in_workflow_code_fails_the_call_with_a_code(limited_temporal: Client) -> None:
    with pytest.raises(CallFailedError) as failed:
        await _run(limited_temporal, BuggyWorkflow, Tick(1), Tock)
    assert failed.value.code == "workflow_error"
    assert failed.value.message == "the workflow raised KeyError; see the worker log"
