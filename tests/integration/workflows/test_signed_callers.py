"""Caller identity in Temporal is signed: a raw Temporal client, as anyone who reaches
Temporal could use it, cannot start or signal a workflow as a user or an admin.

The attacker's client has no caller key: it sends the headers it wants (made up, or
read from another workflow's history and replayed, or edited), against a real worker.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import temporalio.converter
from temporalio import client
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from functions import Caller
from tests.integration.workflows import sample_functions as f
from tests.integration.workflows import sample_workflows as w
from tests.integration.workflows.memory import Journal
from workflows import baas_data_converter, result, signal, start_call

ALICE = Caller.user("alice", ["editors"])
ADMIN_WIRE = {"kind": "user", "user_id": "root", "groups": ["admin"]}


class _SendsHeaders(client.Interceptor):
    """What an attacker's client does: put whatever ``baas-caller`` header it likes."""

    def __init__(self, headers: Mapping[str, Payload]) -> None:
        self.headers = headers

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        headers = self.headers

        class Outbound(client.OutboundInterceptor):
            async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
                input.headers = {**input.headers, **headers}
                return await super().start_workflow(input)

            async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
                input.headers = {**input.headers, **headers}
                await super().signal_workflow(input)

        return Outbound(next)


async def _attacker(address: str, headers: Mapping[str, Payload]) -> Client:
    return await Client.connect(
        address, data_converter=baas_data_converter(), interceptors=[_SendsHeaders(headers)]
    )


def _header(value: object) -> dict[str, Payload]:
    converter = temporalio.converter.default().payload_converter
    return {"baas-caller": converter.to_payloads([value])[0]}


async def _header_from_history(temporal_client: Client, task_queue: str) -> dict[str, Any]:
    """A genuine header of Alice's, as anyone can read it from a workflow's history."""
    call_id = await start_call(
        temporal_client, w.WhoAmIWorkflow, f.Empty(), ALICE, task_queue=task_queue
    )
    await result(temporal_client, call_id, w.Identities)
    history = await temporal_client.get_workflow_handle(call_id).fetch_history()
    [started] = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    ]
    payload = started.workflow_execution_started_event_attributes.header.fields["baas-caller"]
    [value] = temporalio.converter.default().payload_converter.from_payloads([payload], [dict])
    return dict(value)


async def _refused(attacker: Client, task_queue: str, journal: Journal) -> None:
    before = list(journal.store_requests)
    handle = await attacker.start_workflow(
        w.WhoAmIWorkflow.run, f.Empty(), id=f"forged-{uuid.uuid4().hex}", task_queue=task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "invalid_caller"
    assert journal.store_requests == before  # no function ran, as anyone


@pytest.mark.parametrize("forgery", ["unsigned", "replayed", "edited"])
async def test_a_forged_caller_cannot_start_a_workflow(
    forgery: str,
    temporal_client: Client,
    temporal_address: str,
    task_queue: str,
    worker: Worker,
    journal: Journal,
) -> None:
    if forgery == "unsigned":  # the header as it was before signing, naming an admin
        value: dict[str, Any] = ADMIN_WIRE
    else:
        value = await _header_from_history(temporal_client, task_queue)
        if forgery == "edited":  # Alice's signature, an admin's groups
            value = {**value, "caller": {**value["caller"], "groups": ["admin"]}}
    await _refused(await _attacker(temporal_address, _header(value)), task_queue, journal)


async def test_a_forged_signal_is_dropped_and_the_real_one_gets_through(
    temporal_client: Client, temporal_address: str, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, w.WaitForNoteWorkflow, w.WaitInput(60), ALICE, task_queue=task_queue
    )
    forged = await _attacker(temporal_address, _header(ADMIN_WIRE))
    await forged.get_workflow_handle(call_id).signal("note", w.Note("from the attacker"))
    await signal(temporal_client, call_id, "note", w.Note("hello"), Caller.user("bob"))
    assert await result(temporal_client, call_id, w.WaitOutput) == w.WaitOutput("hello", "bob")


async def test_a_child_workflow_acts_for_its_parents_caller(
    temporal_client: Client, task_queue: str, worker: Worker
) -> None:
    call_id = await start_call(
        temporal_client, w.ChildWhoAmIWorkflow, f.Empty(), ALICE, task_queue=task_queue
    )
    out = await result(temporal_client, call_id, w.Identities)
    assert out.in_workflow == f.Identity("user", "alice", ["editors"])
    assert (out.in_function.kind, out.in_function.user_id) == ("user", "alice")
