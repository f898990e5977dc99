"""Each call runs in a process of the worker's pool, under its limits (issue 17, item 2).

Against a real Temporal dev server: a misbehaving call fails with a clear code and never
delays another call; a process that ends is replaced; only declared secrets reach a
function; a function's concurrency cap holds under a burst; cancelling ends the process.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

import functions.forkserver
from functions import Caller, PoolSettings
from tests.integration.workflows import limited_functions as lf
from tests.integration.workflows import sample_functions as f
from tests.integration.workflows.memory import Journal
from workflows import CallCancelledError, CallFailedError, cancel, result, start_call
from workflows.worker import create_worker

ALICE = Caller.user("alice")
POOL = PoolSettings(processes=4, warm_processes=1)
WAIT_SECONDS = 30.0
LIMITED = [
    lf.spin,
    lf.spin_past_cpu,
    lf.spin_past_timeout,
    lf.allocate_a_gigabyte,
    lf.start_a_thousand_threads,
    lf.show_alpha,
    lf.show_no_secret,
    lf.one_of_two,
    lf.pid_then_wait,
    lf.linger,
    lf.log_lines,
    f.whoami,
]


@pytest.fixture
async def pool_worker(
    temporal_client: Client, task_queue: str, journal: Journal
) -> AsyncIterator[Worker]:
    runtime = journal.runtime(secrets={"alpha": "A", "beta": "B"}, pool=POOL)
    async with create_worker(
        temporal_client,
        task_queue=task_queue,
        functions=LIMITED,
        runtime=runtime,
        # Cancellation reaches an activity on its next heartbeat to the server, which the
        # SDK sends at most every 30 s by default when no heartbeat timeout is declared.
        default_heartbeat_throttle_interval=timedelta(seconds=0.1),
    ) as running:
        yield running


async def _call(client: Client, task_queue: str, fn: object, inp: object) -> lf.Seen:
    call_id = await start_call(client, fn, inp, ALICE, task_queue=task_queue)  # type: ignore[arg-type]
    return await result(client, call_id, lf.Seen)


async def _failure(client: Client, task_queue: str, fn: object, inp: object) -> str:
    with pytest.raises(CallFailedError) as failure:
        await _call(client, task_queue, fn, inp)
    return failure.value.code


async def _event(journal: Journal, prefix: str) -> str:
    """The first journal event starting with ``prefix``, waiting up to WAIT_SECONDS."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            for event in journal.events:
                if event.startswith(prefix):
                    return event
            await asyncio.sleep(0.02)


async def _gone(pid: int) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while Path(f"/proc/{pid}").exists():  # noqa: ASYNC110, ASYNC240 - polls /proc, no disk
            await asyncio.sleep(0.02)


async def test_a_cpu_loop_never_delays_an_unrelated_call(
    temporal_client: Client, task_queue: str, pool_worker: Worker, journal: Journal, tmp_path: Path
) -> None:
    marker = tmp_path / "stop-spinning"
    spinning = await start_call(
        temporal_client, lf.spin, lf.Marker(str(marker)), ALICE, task_queue=task_queue
    )
    await _event(journal, "spinning:")

    other = await start_call(temporal_client, f.whoami, f.Empty(), ALICE, task_queue=task_queue)
    async with asyncio.timeout(WAIT_SECONDS):
        identity = await result(temporal_client, other, f.Identity)
    assert identity.user_id == "alice"
    # Completed while the loop still ran (in the same worker, before: never).
    described = await temporal_client.get_workflow_handle(spinning).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING

    marker.touch()
    assert (await result(temporal_client, spinning, lf.Seen)).pid != os.getpid()


async def test_a_cpu_loop_fails_with_cpu_limit_and_the_next_call_works(
    temporal_client: Client, task_queue: str, pool_worker: Worker
) -> None:
    assert await _failure(temporal_client, task_queue, lf.spin_past_cpu, lf.Marker()) == "cpu_limit"
    assert (await _call(temporal_client, task_queue, lf.show_no_secret, lf.Marker())).pid > 0


async def test_a_cpu_loop_past_its_timeout_fails_with_timeout(
    temporal_client: Client, task_queue: str, pool_worker: Worker
) -> None:
    code = await _failure(temporal_client, task_queue, lf.spin_past_timeout, lf.Marker())
    assert code == "timeout"


async def test_a_gigabyte_allocation_fails_with_memory_limit(
    temporal_client: Client, task_queue: str, pool_worker: Worker
) -> None:
    code = await _failure(temporal_client, task_queue, lf.allocate_a_gigabyte, lf.Marker())
    assert code == "memory_limit"


async def test_a_thousand_threads_are_refused_with_thread_limit(
    temporal_client: Client, task_queue: str, pool_worker: Worker
) -> None:
    code = await _failure(temporal_client, task_queue, lf.start_a_thousand_threads, lf.Marker())
    assert code == "thread_limit"


@pytest.fixture
def fresh_forkserver(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fork server started under the worker's environment as this test sets it."""
    monkeypatch.setattr(functions.forkserver, "_shared", None)
    try:
        yield
    finally:
        functions.forkserver.shared_forkserver().close()


async def test_a_function_sees_only_the_secrets_it_declares(
    temporal_client: Client,
    task_queue: str,
    journal: Journal,
    monkeypatch: pytest.MonkeyPatch,
    fresh_forkserver: None,
) -> None:
    # In the worker's environment: the store's key-encryption key and every secret.
    monkeypatch.setenv("BAAS_SECRET_KEY", "a2V5LWVuY3J5cHRpb24ta2V5")
    monkeypatch.setenv("BAAS_SECRET_ALPHA", "A")
    monkeypatch.setenv("BAAS_SECRET_BETA", "B")
    runtime = journal.runtime(secrets={"alpha": "A", "beta": "B", "key": "K"}, pool=POOL)
    functions = [lf.show_alpha, lf.show_no_secret]
    async with create_worker(
        temporal_client, task_queue=task_queue, functions=functions, runtime=runtime
    ):
        alpha = await _call(temporal_client, task_queue, lf.show_alpha, lf.Marker())
        none = await _call(temporal_client, task_queue, lf.show_no_secret, lf.Marker())
    assert (alpha.environment, alpha.secrets) == (["BAAS_SECRET_ALPHA"], ["alpha"])
    assert (none.environment, none.secrets) == ([], [])
    assert alpha.pid != none.pid  # different secrets, different processes


async def test_a_concurrency_cap_holds_under_a_burst(
    temporal_client: Client, task_queue: str, pool_worker: Worker, journal: Journal
) -> None:
    burst = [
        _call(temporal_client, task_queue, lf.one_of_two, lf.Marker(label=str(n))) for n in range(6)
    ]
    assert len(await asyncio.gather(*burst)) == 6
    running, most = 0, 0
    for event in journal.events:
        running += 1 if event.startswith("in:") else -1
        most = max(most, running)
    assert len(journal.events) == 12
    assert most <= 2


async def test_a_killed_process_is_replaced_and_its_call_retried(
    temporal_client: Client, task_queue: str, pool_worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, lf.pid_then_wait, lf.Marker(), ALICE, task_queue=task_queue
    )
    pid = int((await _event(journal, "pid:")).split(":")[1])
    os.kill(pid, signal.SIGKILL)
    # The attempt failed with function_crashed; its retry ran in another process.
    retried = await result(temporal_client, call_id, lf.Seen)
    assert (retried.attempt, retried.pid != pid) == (2, True)
    # An idle process killed from outside is replaced too.
    os.kill(retried.pid, signal.SIGKILL)
    await _gone(retried.pid)
    after = await _call(temporal_client, task_queue, lf.show_no_secret, lf.Marker())
    assert after.pid not in (pid, retried.pid)


async def test_a_process_that_leaves_a_thread_running_serves_no_other_call(
    temporal_client: Client, task_queue: str, pool_worker: Worker
) -> None:
    lingered = await _call(temporal_client, task_queue, lf.linger, lf.Marker())
    await _gone(lingered.pid)
    assert (await _call(temporal_client, task_queue, lf.linger, lf.Marker())).pid != lingered.pid


async def test_a_functions_logs_reach_the_workers_log_under_its_name_and_call(
    temporal_client: Client, task_queue: str, pool_worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    call_id = await start_call(
        temporal_client, lf.log_lines, lf.Marker(label="x"), ALICE, task_queue=task_queue
    )
    await result(temporal_client, call_id, lf.Seen)
    lines = [
        (r.name, r.getMessage(), getattr(r, "call_id", None))
        for r in caplog.records
        if r.name.startswith("baas.functions.log_lines")
    ]
    assert lines == [
        ("baas.functions.log_lines", "from the function x", call_id),
        ("baas.functions.log_lines", "[some.library] from a library", call_id),
    ]


async def test_cancelling_a_call_ends_its_process(
    temporal_client: Client, task_queue: str, pool_worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client, lf.pid_then_wait, lf.Marker(), ALICE, task_queue=task_queue
    )
    pid = int((await _event(journal, "pid:")).split(":")[1])
    await cancel(temporal_client, call_id)
    with pytest.raises(CallCancelledError):
        await result(temporal_client, call_id)
    await _gone(pid)


async def test_a_function_cannot_reach_the_raw_store_behind_its_callers_view(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    journal = await Journal.open_board_store(tmp_path / "store.sqlite3")
    assert journal.store is not None
    try:
        runtime = journal.runtime(pool=POOL)
        async with create_worker(
            temporal_client,
            task_queue=task_queue,
            functions=[lf.reach_past_the_rules],
            runtime=runtime,
        ):
            seen = await _call(temporal_client, task_queue, lf.reach_past_the_rules, lf.Marker())
        assert seen.note == "refused"
    finally:
        await journal.store.close()
