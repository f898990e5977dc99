"""The client API: start calls on behalf of a caller, then await, watch, signal, cancel.

A *call* is one workflow execution; its id (the workflow id) is the call id::

    call_id = await start_call(client, notify_member, NotifyInput(...), caller,
                               task_queue="baas", idempotency_key=request_key)
    out = await result(client, call_id, notify_member)

``target`` is a function (run alone by ``InvokeFunctionWorkflow``), a function's name,
or a workflow class. The caller travels in Temporal headers (``workflows.identity``).

Idempotency: with ``idempotency_key`` the call id is derived from the caller, the
target and the key, and a repeated start returns the existing call — running or
finished, for as long as Temporal retains it — instead of starting a second one. The
same key with a different input raises IdempotencyConflictError: the call records a
digest of its input (memo ``baas_input``) and a repeated start compares it.

Starter: a call started for a user records them in its memo (``baas_starter``, beside
``baas_target``, the target's name), so an API can show a user only their own calls.

Size: inputs above ``max_payload_bytes`` (1 MB by default, measured encoded) are
refused with PayloadTooLargeError before anything reaches Temporal.

Availability: when Temporal cannot be reached, every function here raises
TemporalUnavailableError (retry later) once the client's own retries give up; a start
that raises it started nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from enum import StrEnum
from typing import Any, TypeVar, overload

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import RawValue, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from functions.definition import Function
from functions.errors import InvalidInputError
from functions.guard import ensure_not_inside_function
from functions.identity import Caller, acting_as
from functions.payloads import DEFAULT_MAX_PAYLOAD_BYTES, check_payload_size
from functions.registry import registry
from workflows.availability import is_unreachable, unavailable_when_unreachable
from workflows.clients import configure_client
from workflows.definitions import workflow_definition
from workflows.errors import (
    CallNotFoundError,
    IdempotencyConflictError,
    TemporalUnavailableError,
)
from workflows.failures import call_error
from workflows.invoke import INVOKE_WORKFLOW
from workflows.signals import APPROVAL_SIGNAL, ApprovalDecision

__all__ = [
    "INPUT_MEMO",
    "STARTER_MEMO",
    "TARGET_MEMO",
    "CallStatus",
    "Target",
    "approve",
    "call_id_for",
    "cancel",
    "resolve_target",
    "result",
    "signal",
    "start_call",
    "status",
    "status_of",
]

T = TypeVar("T")
STARTER_MEMO = "baas_starter"
TARGET_MEMO = "baas_target"
INPUT_MEMO = "baas_input"
Target = Function[Any, Any] | str | type


class CallStatus(StrEnum):
    """Where a call is in its life."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"
    TIMED_OUT = "timed_out"
    CONTINUED_AS_NEW = "continued_as_new"


def call_id_for(caller: Caller, target_name: str, idempotency_key: str) -> str:
    """The call id of an idempotent start: equal inputs give equal ids.

    The caller is part of it, so one user's key can never resolve to another's call.
    """
    material = "\x00".join(
        [str(caller.kind), caller.user_id or "", target_name, idempotency_key]
    ).encode()
    return f"call-{hashlib.sha256(material).hexdigest()[:32]}"


def resolve_target(target: Target) -> tuple[str, list[Any], type | None, str | None]:
    """(workflow name, leading args, expected input type, function name) of ``target``."""
    if isinstance(target, str):
        target = registry.get(target)
    if isinstance(target, Function):
        return INVOKE_WORKFLOW, [target.name], target.input_type, target.name
    definition = workflow_definition(target)
    if definition is None:
        raise TypeError(f"{target!r} is neither a function nor a @workflow.defn class")
    return definition.name, [], None, None


async def start_call(
    client: Client,
    target: Target,
    inp: Any,
    caller: Caller,
    *,
    task_queue: str,
    idempotency_key: str | None = None,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> str:
    """Start ``target`` on ``inp`` acting for ``caller``; return the call id."""
    workflow_name, args, input_type, function_name = resolve_target(target)
    if function_name is not None:
        # Starting a call from inside a function is invoking a function, by another door.
        ensure_not_inside_function(function_name)
    if input_type is not None and not isinstance(inp, input_type):
        raise InvalidInputError(
            f"function {function_name!r} takes {input_type.__name__}, got {type(inp).__name__}"
        )
    client = configure_client(client)
    payload = client.data_converter.payload_converter.to_payloads([inp])[0]
    check_payload_size(
        payload, max_payload_bytes, f"the input of {function_name or workflow_name!r}"
    )
    memo = {TARGET_MEMO: function_name or workflow_name}
    if idempotency_key is None:
        call_id = f"call-{uuid.uuid4().hex}"
    else:
        call_id = call_id_for(caller, function_name or workflow_name, idempotency_key)
        memo[INPUT_MEMO] = _digest(payload)
    if caller.user_id is not None:
        memo[STARTER_MEMO] = caller.user_id
    with acting_as(caller), unavailable_when_unreachable():
        try:
            await client.start_workflow(
                workflow_name,
                args=[*args, RawValue(payload)],
                id=call_id,
                task_queue=task_queue,
                memo=memo,
                # A finished call keeps its id: a repeated key must not start it again.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except WorkflowAlreadyStartedError:
            if idempotency_key is None:  # pragma: no cover - a uuid4 collision
                raise
        if idempotency_key is not None:
            await _check_same_input(client, call_id, memo[INPUT_MEMO])
    return call_id


def _digest(payload: Any) -> str:
    """A digest of an encoded input: equal inputs, equal digests."""
    digest = hashlib.sha256(payload.data)
    for name, value in sorted(payload.metadata.items()):
        digest.update(b"\x00" + name.encode() + b"=" + value)
    return digest.hexdigest()


async def _check_same_input(client: Client, call_id: str, digest: str) -> None:
    """IdempotencyConflictError when the call under this key was started on another input.

    The call may be the one just started, or one started before (running or finished),
    also by a concurrent start that won the race. Calls started before inputs were
    recorded carry no digest and are taken as they are.
    """
    memo = await (await client.get_workflow_handle(call_id).describe()).memo()
    recorded = memo.get(INPUT_MEMO)
    if recorded is not None and recorded != digest:
        raise IdempotencyConflictError()


@overload
async def result(client: Client, call_id: str, output: Function[Any, T]) -> T: ...
@overload
async def result(client: Client, call_id: str, output: type[T]) -> T: ...
@overload
async def result(client: Client, call_id: str, output: None = None) -> Any: ...
async def result(
    client: Client, call_id: str, output: Function[Any, Any] | type | None = None
) -> Any:
    """Wait for the call to finish and return its output, decoded as ``output``.

    Raises CallFailedError (with the failure's code), CallCancelledError or
    CallNotFoundError.
    """
    result_type = output.output_type if isinstance(output, Function) else output
    handle = configure_client(client).get_workflow_handle(call_id, result_type=result_type)
    try:
        return await handle.result()
    except WorkflowFailureError as exc:
        raise call_error(exc) from exc
    except (RPCError, RuntimeError) as exc:
        raise _call_error(exc, call_id) from exc


async def status(client: Client, call_id: str) -> CallStatus:
    """The call's current status."""
    handle = client.get_workflow_handle(call_id)
    try:
        description = await handle.describe()
    except (RPCError, RuntimeError) as exc:
        raise _call_error(exc, call_id) from exc
    return status_of(description.status)


async def signal(client: Client, call_id: str, name: str, value: Any, caller: Caller) -> None:
    """Send signal ``name`` with ``value`` to the call, as ``caller``."""
    handle = configure_client(client).get_workflow_handle(call_id)
    with acting_as(caller):
        try:
            await handle.signal(name, value)
        except (RPCError, RuntimeError) as exc:
            raise _call_error(exc, call_id) from exc


async def approve(
    client: Client, call_id: str, caller: Caller, *, approved: bool = True, comment: str = ""
) -> None:
    """Answer a workflow waiting in ``wait_for_approval``; ``caller`` becomes ``Approval.by``."""
    await signal(client, call_id, APPROVAL_SIGNAL, ApprovalDecision(approved, comment), caller)


async def cancel(client: Client, call_id: str) -> None:
    """Ask the call to stop; a saga inside it runs its compensations first."""
    try:
        await client.get_workflow_handle(call_id).cancel()
    except (RPCError, RuntimeError) as exc:
        raise _call_error(exc, call_id) from exc


def _call_error(exc: RPCError | RuntimeError, call_id: str) -> Exception:
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return CallNotFoundError(f"no call {call_id!r}")
    if is_unreachable(exc):
        return TemporalUnavailableError()
    return exc


def status_of(status: WorkflowExecutionStatus | None) -> CallStatus:
    """The call status of a Temporal execution status (None: just started)."""
    return CallStatus.RUNNING if status is None else _STATUS[status]


_STATUS = {
    WorkflowExecutionStatus.RUNNING: CallStatus.RUNNING,
    WorkflowExecutionStatus.COMPLETED: CallStatus.COMPLETED,
    WorkflowExecutionStatus.FAILED: CallStatus.FAILED,
    WorkflowExecutionStatus.CANCELED: CallStatus.CANCELLED,
    WorkflowExecutionStatus.TERMINATED: CallStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT: CallStatus.TIMED_OUT,
    WorkflowExecutionStatus.CONTINUED_AS_NEW: CallStatus.CONTINUED_AS_NEW,
}
