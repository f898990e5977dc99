"""Schedules declared on the app become Temporal Schedules, kept in sync at start-up."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.integration.workflows import sample_functions as f
from tests.integration.workflows import sample_workflows as w
from workflows import ScheduleBinding, schedule_prefix, sync_schedules


async def _listed(client: Client, prefix: str) -> set[str]:
    return {s.id async for s in await client.list_schedules() if s.id.startswith(prefix)}


async def _wait_listed(client: Client, ids: set[str]) -> None:
    """Listing is eventually consistent; wait until Temporal lists exactly ``ids``."""
    prefix = next(iter(ids)).rsplit(".", 1)[0] + "."
    while await _listed(client, prefix) != ids:  # noqa: ASYNC110 - polls the server
        await asyncio.sleep(0.1)


async def test_schedules_are_created_updated_and_removed(
    temporal_client: Client, task_queue: str
) -> None:
    app = f"t{uuid.uuid4().hex[:8]}"
    prefix = schedule_prefix(app)
    nightly = ScheduleBinding("nightly", "0 3 * * *", w.NapWorkflow, f.Empty())
    hourly = ScheduleBinding("hourly", "0 * * * *", f.record_step, f.Step("tick"))

    first = await sync_schedules(
        temporal_client, [nightly, hourly], app_name=app, task_queue=task_queue
    )
    assert sorted(first.created) == [prefix + "hourly", prefix + "nightly"]
    described = await temporal_client.get_schedule_handle(prefix + "nightly").describe()
    assert isinstance(described.schedule.action, ScheduleActionStartWorkflow)
    assert described.schedule.action.workflow == "test.Nap"
    await _wait_listed(temporal_client, {prefix + "hourly", prefix + "nightly"})

    unchanged = await sync_schedules(
        temporal_client, [nightly, hourly], app_name=app, task_queue=task_queue
    )
    assert (unchanged.created, unchanged.updated, unchanged.deleted) == ([], [], [])

    earlier = ScheduleBinding("nightly", "0 2 * * *", w.NapWorkflow, f.Empty())
    changed = await sync_schedules(temporal_client, [earlier], app_name=app, task_queue=task_queue)
    assert (changed.created, changed.updated, changed.deleted) == (
        [],
        [prefix + "nightly"],
        [prefix + "hourly"],
    )
    with pytest.raises(RPCError) as missing:
        await temporal_client.get_schedule_handle(prefix + "hourly").describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND

    await _wait_listed(temporal_client, {prefix + "nightly"})
    cleared = await sync_schedules(temporal_client, [], app_name=app, task_queue=task_queue)
    assert cleared.deleted == [prefix + "nightly"]


async def test_a_scheduled_run_acts_as_system(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    app = f"t{uuid.uuid4().hex[:8]}"
    binding = ScheduleBinding("whoami", "0 0 1 1 *", w.WhoAmIWorkflow, f.Empty())
    await sync_schedules(temporal_client, [binding], app_name=app, task_queue=task_queue)
    handle = temporal_client.get_schedule_handle(schedule_prefix(app) + "whoami")
    try:
        await handle.trigger()
        while not (await handle.describe()).info.recent_actions:  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.05)
        action = (await handle.describe()).info.recent_actions[0].action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        out = await temporal_client.get_workflow_handle(
            action.workflow_id, result_type=w.Identities
        ).result()
    finally:
        await handle.delete()
    assert out.in_workflow.kind == "system"
    assert out.in_function.kind == "system"
