"""Waiting for the example workflow to reach a stage, through its ``progress`` query."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from examples.board.workflows import ArchiveBoardWorkflow


async def wait_for_progress(client: Client, call_id: str, wanted: str) -> None:
    """Poll until the workflow reports ``wanted`` (it queries; no timing assumption).

    A query sent before the worker's first poll reached the server is refused with
    "no poller seen for task queue recently" (FAILED_PRECONDITION): asked again.
    """
    handle = client.get_workflow_handle(call_id)
    while True:
        try:
            if await handle.query(ArchiveBoardWorkflow.progress) == wanted:
                return
        except RPCError as exc:
            if exc.status != RPCStatusCode.FAILED_PRECONDITION:
                raise
        await asyncio.sleep(0.05)
