"""A worker per test, on the test's own task queue, running the sample and example code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from examples.board import app as board_app
from tests.integration.workflows import sample_functions as f
from tests.integration.workflows import sample_workflows as w
from tests.integration.workflows.memory import Journal
from workflows.worker import create_worker

SAMPLE_FUNCTIONS = [
    f.record_step,
    f.undo_step,
    f.flaky_step,
    f.declared_final,
    f.slow_step,
    f.wait_long,
    f.whoami,
    f.whoami_as_system,
    f.echo_blob,
    f.calls_another,
    f.greet,
    *board_app.functions,
]
SAMPLE_WORKFLOWS = [
    w.SequenceWorkflow,
    w.ParallelWorkflow,
    w.SagaWorkflow,
    w.WaitForNoteWorkflow,
    w.WhoAmIWorkflow,
    w.ChildWhoAmIWorkflow,
    w.NapWorkflow,
    w.MakeBlobWorkflow,
    *board_app.workflows,
]


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
async def worker(
    temporal_client: Client, task_queue: str, journal: Journal
) -> AsyncIterator[Worker]:
    """A running worker for the samples; stops (and cancels its work) after the test."""
    running = create_worker(
        temporal_client,
        task_queue=task_queue,
        workflows=SAMPLE_WORKFLOWS,
        functions=SAMPLE_FUNCTIONS,
        runtime=journal.runtime(),
    )
    async with running:
        yield running
